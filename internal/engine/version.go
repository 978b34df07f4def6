package engine

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// MaxVersion is the newest API version this client is written against;
// against a newer daemon it asks for this one, as the docker CLI does.
// Every field it sends and reads is unchanged from MinVersion up to 1.47;
// API 1.48 deprecated the "error" field of progress streams that
// ImageImport reads (errorDetail is read as well, so a later bump needs
// only a check of the API's changelog).
const MaxVersion = "1.47"

// MinVersion is the oldest API version it supports: Docker 19.03's, the
// oldest a current docker CLI negotiates down to. Debian 12's docker.io
// (Docker 20.10) speaks 1.41.
const MinVersion = "1.40"

// Version is the API version the client uses with the daemon:
// min(the daemon's, MaxVersion). The first call asks the daemon (GET
// /_ping, its Api-Version header); a daemon older than MinVersion is an
// error naming its version.
func (c *Client) Version(ctx context.Context) (string, error) {
	return c.negotiate(ctx)
}

// negotiate pings the daemon once and keeps the version agreed; a failed
// ping is tried again by the next call.
func (c *Client) negotiate(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != "" {
		return c.version, nil
	}
	r := request{method: http.MethodGet, path: "/_ping"}
	resp, err := c.send(ctx, r, r.path) // unversioned, as every daemon answers it
	if err != nil {
		return "", err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return "", responseError(resp, r)
	}
	v, err := agree(resp.Header.Get("Api-Version"))
	if err != nil {
		return "", fmt.Errorf("docker API at %q: %w", c.addr, err)
	}
	c.version = v
	return v, nil
}

// agree is the version to use with a daemon that reports server. Unlike
// moby's client, which assumes its newest version, a missing header is an
// error: every daemon since API 1.25 sends it.
func agree(server string) (string, error) {
	if server == "" {
		return "", fmt.Errorf("its /_ping has no Api-Version header: not a Docker daemon, or one older than API %s; upgrade Docker on the host", MinVersion)
	}
	sv, ok := parseVersion(server)
	if !ok {
		return "", fmt.Errorf("API version %q: not MAJOR.MINOR", server)
	}
	minV, _ := parseVersion(MinVersion)
	maxV, _ := parseVersion(MaxVersion)
	switch {
	case sv.less(minV):
		return "", fmt.Errorf("the daemon speaks API %s, older than %s, the oldest this dockbake supports: upgrade Docker on the host (Docker 19.03 or later)", server, MinVersion)
	case maxV.less(sv):
		return MaxVersion, nil
	}
	return sv.String(), nil
}

// version is an API version, MAJOR.MINOR.
type version struct{ major, minor int }

func parseVersion(s string) (version, bool) {
	a, b, ok := strings.Cut(s, ".")
	major, err1 := strconv.Atoi(a)
	minor, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || major < 0 || minor < 0 {
		return version{}, false
	}
	return version{major, minor}, true
}

func (v version) less(w version) bool {
	return v.major < w.major || v.major == w.major && v.minor < w.minor
}

func (v version) String() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }
