package graphapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Page sizes of directory collections: 100 by default, $top from 1 to 999 (Microsoft Learn, "Paging
// Microsoft Graph data in your app" and "Use query parameters", $top: the minimum is 1 and the maximum
// depends on the API; for Entra ID's directory objects the Graph documentation team gives 100 and 999).
const (
	defaultPageSize = 100
	maxPageSize     = 999
)

// pageQuery is a collection request's $top and $skiptoken. Graph's skip token is opaque; the
// emulator's is the offset of the page's first entry.
type pageQuery struct {
	top, skip int
	query     url.Values
}

type pageRange struct{ start, end int }

// parsePage reads $top and $skiptoken. A $top out of range is refused with the message Graph's
// directory answers ("Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.", as
// reported from tenants; the documentation states the range only); a skip token the emulator did not
// issue is a 400 too (Graph's answer to a forged token is not documented).
func parsePage(r *http.Request) (pageQuery, *graphError) {
	q := r.URL.Query()
	pg := pageQuery{top: defaultPageSize, query: q}
	if raw := q.Get("$top"); raw != "" {
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil || n < 1 || n > maxPageSize {
			return pageQuery{}, newError(http.StatusBadRequest, CodeRequestBadRequest, fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", raw, maxPageSize))
		}
		pg.top = n
	}
	if raw := q.Get("$skiptoken"); raw != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(raw, "emulator-"))
		if err != nil || n < 0 || !strings.HasPrefix(raw, "emulator-") {
			return pageQuery{}, newError(http.StatusBadRequest, CodeRequestBadRequest, "The skip token '"+raw+"' is not valid.")
		}
		pg.skip = n
	}
	return pg, nil
}

// of returns the page's range in a collection of n entries and the query of the next page ("" for the
// last page): the request's own query with the next skip token.
func (p pageQuery) of(n int) (pageRange, string) {
	start := min(p.skip, n)
	end := min(start+p.top, n)
	if end >= n {
		return pageRange{start, end}, ""
	}
	next := url.Values{}
	for k, v := range p.query {
		next[k] = append([]string(nil), v...)
	}
	next.Set("$skiptoken", "emulator-"+strconv.Itoa(end))
	return pageRange{start, end}, next.Encode()
}
