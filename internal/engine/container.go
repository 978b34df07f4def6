package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// ContainerConfig is what ContainerCreate sends: the few fields of the
// API's container and host configuration a delivery uses.
type ContainerConfig struct {
	// Image is the image to create the container from.
	Image string
	// Cmd is its command; the daemon refuses none when the image has none.
	Cmd []string
	// Labels are the container's labels.
	Labels map[string]string
	// Binds are bind mounts (HostConfig.Mounts of type bind): unlike the
	// older HostConfig.Binds, a missing source is refused, not created.
	Binds []Bind
}

// Bind is a directory of the host mounted into the container.
type Bind struct {
	// Source is the host's directory.
	Source string
	// Target is where it appears in the container.
	Target string
}

// createBody is the JSON of POST /containers/create.
type createBody struct {
	Image      string
	Cmd        []string          `json:",omitempty"`
	Labels     map[string]string `json:",omitempty"`
	HostConfig struct {
		Mounts []mount `json:",omitempty"`
	}
}

type mount struct {
	Type   string
	Source string
	Target string
}

// ContainerCreate creates, and does not start, a container; it returns
// its ID.
func (c *Client) ContainerCreate(ctx context.Context, cfg ContainerConfig) (string, error) {
	b := createBody{Image: cfg.Image, Cmd: cfg.Cmd, Labels: cfg.Labels}
	for _, m := range cfg.Binds {
		b.HostConfig.Mounts = append(b.HostConfig.Mounts, mount{Type: "bind", Source: m.Source, Target: m.Target})
	}
	body, err := json.Marshal(b)
	if err != nil {
		return "", err
	}
	var created struct {
		ID string `json:"Id"`
	}
	r := request{method: http.MethodPost, path: "/containers/create", body: bytes.NewReader(body), contentType: "application/json"}
	err = c.getJSON(ctx, r, &created)
	return created.ID, err
}

// ContainerRemove removes the container id, stopping it first if it runs
// (DELETE /containers/{id}?force=1).
func (c *Client) ContainerRemove(ctx context.Context, id string) error {
	r := request{method: http.MethodDelete, path: "/containers/" + url.PathEscape(id), query: url.Values{"force": {"1"}}}
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}
