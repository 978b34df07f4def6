package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Error is a request the daemon refused. Its text is the daemon's own
// message ({"message": ...}), or, when the daemon sent none (HEAD
// requests never carry a body), the request and the status.
type Error struct {
	// StatusCode is the HTTP status: 404 is a missing object or path
	// (see IsNotFound), 409 a conflict, 400 a request the daemon refuses.
	StatusCode int
	// Message is the daemon's message.
	Message string
}

// Error returns the daemon's message.
func (e *Error) Error() string { return e.Message }

// IsNotFound reports whether err is the daemon answering 404: no such
// image, container or path.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}

// responseError is the *Error of a response that is not 2xx.
func responseError(resp *http.Response, r request) error {
	var body []byte
	if r.method != http.MethodHead {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	}
	e := &Error{StatusCode: resp.StatusCode}
	var msg struct {
		Message string `json:"message"`
	}
	switch {
	case json.Unmarshal(body, &msg) == nil && msg.Message != "":
		e.Message = msg.Message
	case len(body) > 0 && len(body) < 512 && !strings.ContainsAny(string(body), "{<"):
		e.Message = strings.TrimSpace(string(body)) // a plain-text answer, e.g. of the router
	default:
		e.Message = fmt.Sprintf("the daemon answered %q to %s %s", resp.Status, r.method, r.path)
	}
	return e
}
