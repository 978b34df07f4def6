// Package engine is a small client of the Docker Engine API over HTTPS:
// the nine calls that deliver a host's TLS files through a created, never
// started, container, and the API-version negotiation the docker CLI does.
//
// It exists instead of github.com/moby/moby/client because every dockbake
// process links what the binary links: that client brings in image
// references whose regular expressions compile at start-up, OpenTelemetry
// and the OCI image specification, a cost paid by commands that never talk
// to Docker. This one needs only net/http.
package engine

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Client talks to one Docker daemon at host:port over TLS. It negotiates
// the API version on its first request; it is safe for concurrent use.
type Client struct {
	addr string
	http *http.Client

	mu      sync.Mutex
	version string // negotiated, "1.41"; empty until then
}

// New is a client of the daemon at addr (host:port) that dials with cfg,
// which carries the client certificate and decides which server to trust.
// No request is sent until the first call.
func New(addr string, cfg *tls.Config) *Client {
	tr := &http.Transport{TLSClientConfig: cfg} // no proxy: the daemon is dialled directly
	return &Client{addr: addr, http: &http.Client{
		Transport: tr,
		// A redirect is a daemon refusing a malformed path; following it
		// would turn a PUT into a GET (see moby's CheckRedirect).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Close releases the client's idle connections.
func (c *Client) Close() {
	c.http.CloseIdleConnections()
}

// request is one call: method, an escaped path below the version prefix,
// its query and body.
type request struct {
	method      string
	path        string
	query       url.Values
	body        io.Reader
	contentType string
}

// do sends r under the negotiated version. A response whose status is not
// 2xx becomes an *Error, its body closed; the caller closes any other.
func (c *Client) do(ctx context.Context, r request) (*http.Response, error) {
	v, err := c.negotiate(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, r, "/v"+v+r.path)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, responseError(resp, r)
	}
	return resp, nil
}

// send makes and sends the request for r at the escaped path p.
func (c *Client) send(ctx context.Context, r request, p string) (*http.Response, error) {
	u := "https://" + c.addr + p
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, r.body)
	if err != nil {
		return nil, fmt.Errorf("docker API at %q: %w", c.addr, err)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	return c.http.Do(req) // a *url.Error naming method and URL, wrapping the cause
}

// drain reads what is left of a response body and closes it, so that its
// connection can be used again.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}

// escapeRef escapes an image reference for a path, keeping its slashes:
// the daemon's router matches a name of several path segments.
func escapeRef(ref string) string {
	parts := strings.Split(ref, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
