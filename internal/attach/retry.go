package attach

import (
	"context"
	"errors"
	"time"

	"github.com/dockbake/dockbake/internal/deliver"
)

// RetryEvery is how long Deliver waits between tries of a host that is
// still booting.
var RetryEvery = 3 * time.Second

// Deliver makes one delivery; with retry, it tries again while the host
// cannot be reached or has no apply mechanism yet (a host still booting:
// dockerd starts only once cloud-init has written the certificates), until
// ctx ends. A wrong certificate, a delivery the host rolled back and
// containers that would restart are answers, not a host still booting:
// they end it at once.
func Deliver(ctx context.Context, r deliver.Request, retry bool) error {
	if _, err := r.Delivery.Archive(); err != nil {
		return err // a delivery that cannot be made is not the host's fault
	}
	for {
		_, err := deliver.Deliver(ctx, r)
		if err == nil || !retry || permanent(err) || ctx.Err() != nil {
			if err != nil && ctx.Err() != nil {
				err = errors.Join(ctx.Err(), err)
			}
			return err
		}
		if r.Progress != nil {
			r.Progress("the host is not ready (%v); trying again in %s", err, RetryEvery)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(RetryEvery):
		}
	}
}

// permanent reports whether err is the host's answer rather than a host
// not up yet.
func permanent(err error) bool {
	var pe *deliver.PinError
	var oe *deliver.OutcomeError
	return errors.As(err, &pe) || errors.As(err, &oe) || errors.Is(err, deliver.ErrRestarts)
}
