package graphapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

// Owners are listed in pages: 100 by default, $top from 1 to 999, @odata.nextLink to the next page
// (keeping the request's query), none on the last; a $top out of range is Graph's 400.
func TestOwnersPaging(t *testing.T) {
	f := newFixture(t)
	owners := make([]string, 120)
	for i := range owners {
		owners[i] = directory.NewGUID()
	}
	rec, err := f.dir.Create(directory.Record{Application: directory.Application{DisplayName: ptr("many owners")}, Owners: owners})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1.0/applications/" + rec.Application.ID + "/owners"
	collect := func(first string) (ids []string, pages []int) {
		t.Helper()
		next := f.srv.URL + "/graph" + first
		for next != "" {
			u, err := url.Parse(next)
			if err != nil {
				t.Fatal(err)
			}
			r := f.do(http.MethodGet, strings.TrimPrefix(u.RequestURI(), "/graph"), "reader", nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s = %d %s", next, r.Status, r.Body)
			}
			m := r.JSON(t)
			page := arr(t, m["value"])
			pages = append(pages, len(page))
			for _, v := range page {
				ids = append(ids, str(t, obj(t, v), "id"))
			}
			next, _ = m["@odata.nextLink"].(string)
			if len(pages) > 10 {
				t.Fatal("no end of pages")
			}
		}
		return ids, pages
	}
	ids, pages := collect(path)
	if len(pages) != 2 || pages[0] != 100 || pages[1] != 20 || strings.Join(ids, ",") != strings.Join(owners, ",") {
		t.Fatalf("default pages %v, %d ids", pages, len(ids))
	}
	ids, pages = collect(path + "?$top=50")
	if len(pages) != 3 || pages[0] != 50 || pages[2] != 20 || strings.Join(ids, ",") != strings.Join(owners, ",") {
		t.Fatalf("$top=50 pages %v", pages)
	}
	if _, pages := collect("/beta/applications/" + rec.Application.ID + "/owners?$top=999"); len(pages) != 1 || pages[0] != 120 {
		t.Fatalf("$top=999 pages %v", pages)
	}
	for _, top := range []string{"0", "1000", "x"} {
		expectError(t, f.do(http.MethodGet, path+"?$top="+top, "reader", nil), http.StatusBadRequest, graphapi.CodeRequestBadRequest,
			"Invalid page size specified: '"+top+"'. Must be between 1 and 999 inclusive.")
	}
	expectError(t, f.do(http.MethodGet, path+"?$skiptoken=abc", "reader", nil), http.StatusBadRequest, graphapi.CodeRequestBadRequest, "")
}
