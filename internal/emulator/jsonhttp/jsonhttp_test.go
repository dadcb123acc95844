package jsonhttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/jsonhttp"
)

func TestWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	jsonhttp.Write(rec, http.StatusTeapot, map[string]int{"a": 1}, "Content-Type", "application/json", "Pragma", "no-cache")
	if rec.Code != http.StatusTeapot || rec.Body.String() != `{"a":1}` || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Pragma") != "no-cache" {
		t.Errorf("answer = %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rec = httptest.NewRecorder()
	jsonhttp.Write(rec, http.StatusOK, func() {}, "Content-Type", "application/json")
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") == "application/json" {
		t.Errorf("unencodable value: %d %v", rec.Code, rec.Header())
	}
}
