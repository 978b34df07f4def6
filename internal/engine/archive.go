package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// PathStat is what the daemon says of a path in a container.
type PathStat struct {
	// Name is the path's last element.
	Name string `json:"name"`
	// Size is its size in bytes.
	Size int64 `json:"size"`
	// Mode is its type and permissions.
	Mode os.FileMode `json:"mode"`
	// Mtime is its modification time.
	Mtime time.Time `json:"mtime"`
	// LinkTarget is where a symbolic link points, resolved.
	LinkTarget string `json:"linkTarget"`
}

// statHeader carries a PathStat, base64 JSON, in an archive answer.
const statHeader = "X-Docker-Container-Path-Stat"

// ContainerStatPath stats path in the container id (HEAD
// /containers/{id}/archive); it works on a container never started. A
// missing path is an error for which IsNotFound holds.
func (c *Client) ContainerStatPath(ctx context.Context, id, path string) (PathStat, error) {
	resp, err := c.do(ctx, archive(http.MethodHead, id, path, nil))
	if err != nil {
		return PathStat{}, err
	}
	drain(resp)
	var st PathStat
	b, err := base64.StdEncoding.DecodeString(resp.Header.Get(statHeader))
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		return PathStat{}, fmt.Errorf("the daemon's %s header for %q: %w", statHeader, path, err)
	}
	return st, nil
}

// CopyToContainer extracts the tar archive content into the directory dir
// of the container id (PUT /containers/{id}/archive), through its bind
// mounts too, whether it runs or not. As with docker cp, a directory is
// never replaced by a file nor a file by a directory.
func (c *Client) CopyToContainer(ctx context.Context, id, dir string, content io.Reader) error {
	r := archive(http.MethodPut, id, dir, content)
	r.query.Set("noOverwriteDirNonDir", "true")
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// CopyFromContainer returns a tar archive of path in the container id
// (GET /containers/{id}/archive), which the caller closes. A missing path
// is an error for which IsNotFound holds.
func (c *Client) CopyFromContainer(ctx context.Context, id, path string) (io.ReadCloser, error) {
	resp, err := c.do(ctx, archive(http.MethodGet, id, path, nil))
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// archive is a request of /containers/{id}/archive for path.
func archive(method, id, path string, body io.Reader) request {
	r := request{method: method, path: "/containers/" + url.PathEscape(id) + "/archive", query: url.Values{"path": {path}}, body: body}
	if body != nil {
		r.contentType = "application/x-tar"
	}
	return r
}
