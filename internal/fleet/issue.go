package fleet

import (
	"runtime"
	"sync"
	"sync/atomic"

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

// creates stages the new machines, chunk by chunk: keys and user-data are
// made on every core, then staged and written in order.
func (a *applier) creates(steps []*Step) error {
	for start := 0; start < len(steps); start += chunk {
		part := steps[start:min(start+chunk, len(steps))]
		out := make([]issued, len(part))
		parallel(len(part), func(i int) { out[i] = a.issue(part[i].machine) })
		for i, st := range part {
			if err := a.stageCreate(st, out[i]); err != nil {
				return err
			}
			out[i] = issued{}
		}
	}
	return nil
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
