// Package jsonhttp writes the JSON answers of the emulator's services: the value's JSON with each
// service's own headers (Entra ID's token service, Ocelot and LKPS, the Azure cloud metadata document).
package jsonhttp

import (
	"encoding/json"
	"net/http"
)

// Write answers status with the JSON of v and the headers, given as name, value pairs (Content-Type
// among them: each service sends its own). A value that cannot be encoded is a 500 in plain text.
func Write(w http.ResponseWriter, status int, v any, header ...string) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	for i := 0; i+1 < len(header); i += 2 {
		w.Header().Set(header[i], header[i+1])
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
