package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// --port-file keeps the emulator on one port across restarts, so that the exports loaded in an open shell
// keep working: the first start picks a free port and writes it to the file, later starts listen on it
// again. When the remembered port is taken, the emulator picks a free one, says so, and remembers that.

// rememberedPort returns the port recorded in file, 0 when there is none.
func rememberedPort(file string) int {
	raw, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	port, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || port <= 0 || port > 65535 {
		return 0
	}
	return port
}

// rememberPort writes the port of baseURL to file.
func rememberPort(file, baseURL string) error {
	u, err := url.Parse(baseURL)
	if err != nil {
		return err
	}
	return os.WriteFile(file, []byte(u.Port()+"\n"), 0o600)
}

// startOnRememberedPort starts the emulator with start on the port remembered in file (when the --port
// flag left the choice open), falling back to a free port when that one is in use, and records the port
// it got.
func startOnRememberedPort[S interface{ URL() string }](file string, port *int, stderr io.Writer, start func() (S, error)) (S, error) {
	remembered := 0
	if *port == 0 && file != "" {
		remembered = rememberedPort(file)
		*port = remembered
	}
	srv, err := start()
	if err != nil && remembered != 0 && errors.Is(err, syscall.EADDRINUSE) {
		fmt.Fprintf(stderr, "lkps-emulator: the remembered port %d is in use; listening on a free port instead "+
			"(load the new exports in open shells)\n", remembered)
		*port = 0
		srv, err = start()
	}
	if err != nil {
		return srv, err
	}
	if file != "" {
		if werr := rememberPort(file, srv.URL()); werr != nil {
			fmt.Fprintf(stderr, "lkps-emulator: could not remember the port in %s: %v\n", file, werr)
		}
	}
	return srv, nil
}
