package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Info is what GET /info says that a delivery needs: whether containers
// outlive a restart of dockerd.
type Info struct {
	// LiveRestoreEnabled is dockerd's live-restore option.
	LiveRestoreEnabled bool
	// Swarm is the node's part in a swarm.
	Swarm struct {
		// LocalNodeState is "inactive" outside a swarm, "active" in one,
		// or "pending", "error", "locked"; empty from a daemon without
		// swarm support.
		LocalNodeState string
	}
}

// Info reads the daemon's system information (GET /info).
func (c *Client) Info(ctx context.Context) (Info, error) {
	var info Info
	err := c.getJSON(ctx, request{method: http.MethodGet, path: "/info"}, &info)
	return info, err
}

// getJSON sends r and decodes the JSON answer into v.
func (c *Client) getJSON(ctx context.Context, r request, v any) error {
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	defer drain(resp)
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("%s %s: the daemon's answer: %w", r.method, r.path, err)
	}
	return nil
}
