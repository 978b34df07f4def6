package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// ImageInspect returns the ID of the image ref (GET /images/{ref}/json);
// an image the daemon does not have is an error for which IsNotFound
// holds.
func (c *Client) ImageInspect(ctx context.Context, ref string) (string, error) {
	var img struct {
		ID string `json:"Id"`
	}
	err := c.getJSON(ctx, request{method: http.MethodGet, path: "/images/" + escapeRef(ref) + "/json"}, &img)
	return img.ID, err
}

// ImageImport makes the image repo:tag from the root file system in the
// tar archive fs (POST /images/create?fromSrc=-, what docker import does).
// It reads the daemon's progress to the end: an import that fails halfway
// is reported there, after a 200.
func (c *Client) ImageImport(ctx context.Context, repo, tag string, fs io.Reader) error {
	q := url.Values{"fromSrc": {"-"}, "repo": {repo}}
	if tag != "" {
		q.Set("tag", tag)
	}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/images/create", query: q, body: fs, contentType: "application/x-tar"})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return progressError(resp.Body)
}

// progressError reads a stream of JSON progress messages to its end and
// returns the first error it reports.
func progressError(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Error       string `json:"error"` // deprecated in API 1.48, still sent
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the daemon's progress: %w", err)
		}
		switch {
		case m.ErrorDetail != nil && m.ErrorDetail.Message != "":
			return errors.New(m.ErrorDetail.Message)
		case m.Error != "":
			return errors.New(m.Error)
		}
	}
}

// ImageRemove removes the image ref (DELETE /images/{ref}), refusing, as
// docker rmi does, while a container uses it.
func (c *Client) ImageRemove(ctx context.Context, ref string) error {
	resp, err := c.do(ctx, request{method: http.MethodDelete, path: "/images/" + escapeRef(ref)})
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}
