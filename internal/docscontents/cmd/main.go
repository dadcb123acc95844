// Command cmd writes the Contents section of docs/index.md (package docscontents); main.go runs it from
// a go:generate line after tfplugindocs.
package main

import (
	"fmt"
	"os"

	"github.com/bayer/terraform-provider-lkps/internal/docscontents"
)

func main() {
	dir := "docs"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := docscontents.Update(dir); err != nil {
		fmt.Fprintln(os.Stderr, "docs contents:", err)
		os.Exit(1)
	}
}
