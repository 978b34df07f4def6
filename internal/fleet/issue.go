package fleet

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// chunk is how many new machines are issued side by side before they are
// staged: enough to keep every core busy, few enough that memory stays
// flat however large the fleet.
const chunk = 256

// issued is a new machine's keys and its user-data, made ahead of staging.
type issued struct {
	iss  *store.Issued
	data []byte
	err  error
}

// creates stages the new machines, chunk by chunk: the keys and user-data
// of the next chunk are made on every core while this one is staged and
// written, in order.
func (a *applier) creates(steps []*Step) error {
	if len(steps) == 0 {
		return nil
	}
	part := func(k int) []*Step { return steps[k*chunk : min((k+1)*chunk, len(steps))] }
	ahead := a.issueAhead(part(0))
	for k := 0; k*chunk < len(steps); k++ {
		out := <-ahead
		if (k+1)*chunk < len(steps) {
			ahead = a.issueAhead(part(k + 1))
		}
		for i, st := range part(k) {
			if err := a.stageCreate(st, out[i]); err != nil {
				return err
			}
			out[i] = issued{}
		}
	}
	return nil
}

// issueAhead issues the machines of part in the background.
func (a *applier) issueAhead(part []*Step) chan []issued {
	ch := make(chan []issued, 1)
	go func() {
		out := make([]issued, len(part))
		parallel(len(part), func(i int) { out[i] = a.issue(part[i].machine) })
		ch <- out
	}()
	return ch
}

// issue makes machine m's keys and user-data; a machine on a shared CA is
// issued when it is staged, under the lock.
func (a *applier) issue(m *Machine) issued {
	if m.Request.CA != "" {
		return issued{}
	}
	iss, err := a.s.Issue(m.Request)
	if err != nil {
		return issued{err: err}
	}
	hc, err := iss.HostCerts()
	if err != nil {
		return issued{err: err}
	}
	plan, err := hostPlan(m, hc)
	if err != nil {
		return issued{err: err}
	}
	data, err := userData(plan, m)
	return issued{iss: iss, data: data, err: err}
}

// stageCreate stages one new machine and writes its user-data.
func (a *applier) stageCreate(st *Step, is issued) error {
	if is.err != nil {
		return is.err
	}
	hc, err := a.b.Create(st.machine.Request, is.iss)
	if err != nil {
		return err
	}
	fp := ""
	if is.iss != nil {
		fp = is.iss.CAFingerprint()
	} else if fp, err = caFingerprint(hc); err != nil {
		return err
	}
	st.inputs = inputsOf(st.machine.Request.Spec, fp, st.machine)
	if is.data == nil {
		plan, err := hostPlan(st.machine, hc)
		if err != nil {
			return err
		}
		if is.data, err = userData(plan, st.machine); err != nil {
			return err
		}
	}
	return writeTemp(st.Output, is.data)
}

// caFingerprint is the fingerprint of the CA certificate among hc.
func caFingerprint(hc *generator.HostCerts) (string, error) {
	c, err := pki.ParseCertificate(hc.CACert)
	if err != nil {
		return "", err
	}
	return pki.Fingerprint(c), nil
}

// parallel runs f(0..n-1) on every core.
func parallel(n int, f func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}
