package boottest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/templates"
)

// A refused value never reaches a drop-in, so each case below builds the
// drop-in dockbake would write without its refusal, from the generator's
// own pieces (ExecLine over DaemonArgs in the drop-in template), and shows
// what the guest's systemd does with it.

// probeSpec is the debian-12 spec the refused cases start from.
func probeSpec(e generator.Engine) (generator.Spec, generator.OS) {
	spec := generator.Spec{Name: "probe", IPs: []string{"127.0.0.1"}, OS: "debian-12", Install: generator.InstallNone, Port: 2376, Engine: e}
	o, _ := generator.LookupOS(spec.OS)
	return spec, o
}

// wouldBe is the drop-in for e without the validation. Its environment
// entries are only put in quotes, which is all the generator's quoting does
// to entries without a backslash, quote, % or control character.
func wouldBe(t *testing.T, e generator.Engine) []byte {
	t.Helper()
	spec, o := probeSpec(e)
	var env []string
	for _, v := range e.Env {
		if strings.ContainsAny(v, "\\\"%\n") {
			t.Fatalf("wouldBe cannot quote %q", v)
		}
		env = append(env, `"`+v+`"`)
	}
	b, err := templates.RenderDropIn(templates.DropIn{Machine: "probe", ExecStart: generator.ExecLine(generator.DaemonArgs(spec, o)), Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// planDropIn is the drop-in of the generator's validated plan for e.
func planDropIn(t *testing.T, e generator.Engine) []byte {
	t.Helper()
	spec, _ := probeSpec(e)
	fake := []byte("not a certificate")
	plan, err := generator.BuildPlan(spec, generator.HostCerts{CACert: fake, ServerCert: fake, ServerKey: fake})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range plan.Files {
		if f.Path == generator.HostDropIn {
			return f.Content
		}
	}
	t.Fatal("the plan has no drop-in")
	return nil
}

// refusal is one class of values dockbake refuses.
type refusal struct {
	name   string
	flags  []string         // for `dockbake create`; none when a command line cannot carry the value
	says   string           // in dockbake's error
	engine generator.Engine // what the would-be drop-in carries
	// systemd checks what the guest's systemd made of the would-be unit.
	systemd func(t *testing.T, p *probeGuest, name string, e generator.Engine)
}

func (p *probeGuest) checkRefused(t *testing.T) {
	t.Run("the would-be drop-in is the generator's", func(t *testing.T) {
		c := nastyCase()
		e := generator.Engine{Labels: c.labels, Opts: c.opts, RegistryMirrors: c.mirrors, InsecureRegistries: c.insecure}
		if got, want := wouldBe(t, e), planDropIn(t, e); string(got) != string(want) {
			t.Fatalf("would-be drop-in:\n%s\nthe plan's:\n%s", got, want)
		}
	})
	cases := refusals()
	var units []unit
	for i, r := range cases {
		units = append(units, unit{name: fmt.Sprintf("refused-%d", i), execStart: "/bin/false", dropIn: wouldBe(t, r.engine)})
	}
	p.install(t, units...)
	for i, r := range cases {
		t.Run(r.name, func(t *testing.T) {
			if r.flags != nil {
				stderr := p.refused(t, fmt.Sprintf("refused-%d", i), append([]string{"--os", "debian-12", "--install", "none"}, r.flags...)...)
				if !strings.Contains(stderr, r.says) {
					t.Errorf("dockbake's refusal lacks %q:\n%s", r.says, abbrevAll([]string{stderr})[0])
				}
			}
			r.systemd(t, p, units[i].name, r.engine)
		})
	}
	t.Run("DOCKER_OPTS longer than one environment entry", p.checkFlatcarTooLong)
	t.Run("DOCKER_OPTS in engine-env", p.checkFlatcarCollision)
	t.Run("arguments and environment beyond ARG_MAX", p.checkExecTotal)
}

func refusals() []refusal {
	overArg := "long=" + strings.Repeat("x", argLimit-len("--label=long=")+1)
	overLine := longLineCase(1).labels
	return []refusal{
		{name: "invalid UTF-8", flags: []string{"--engine-label", "k=\xff"}, says: `--engine-label "k=\xff": not valid UTF-8`,
			engine: generator.Engine{Labels: []string{"k=\xff"}}, systemd: invalidUTF8},
		{name: "a Unicode non-character", flags: []string{"--engine-label", "k=\ufdd0"}, says: `contains the Unicode non-character U+FDD0`,
			engine: generator.Engine{Labels: []string{"k=\ufdd0"}}, systemd: notLoaded("not UTF-8 clean")},
		{name: "a non-character of plane 16 in the environment", flags: []string{"--engine-env", "K=\U0010ffff"}, says: `contains the Unicode non-character U+10FFFF`,
			engine: generator.Engine{Env: []string{"K=\U0010ffff"}}, systemd: envDropped("K=\U0010ffff")},
		// No command line carries a NUL: the core refuses it for the other
		// front ends, and systemd has no escape for it either.
		{name: "a NUL byte", engine: generator.Engine{Labels: []string{"k=a\x00b"}}, systemd: mangled("--label=k=a\x00b")},
		{name: "an argument longer than Linux passes", flags: []string{"--engine-label", overArg},
			says:   "Linux passes at most 131071 bytes in one: shorten it",
			engine: generator.Engine{Labels: []string{overArg}}, systemd: execFails},
		{name: "a drop-in line longer than systemd reads", flags: longLineCase(1).flags,
			says:   "systemd reads at most 1048575 bytes a line and would not load docker.service",
			engine: generator.Engine{Labels: overLine}, systemd: notLoaded("has no ExecStart=")},
	}
}

// notLoaded: systemd refuses the unit file; the message shows in the
// journal or in systemctl's error.
func notLoaded(why string) func(*testing.T, *probeGuest, string, generator.Engine) {
	return func(t *testing.T, p *probeGuest, name string, _ generator.Engine) {
		err := p.start(name)
		journal := p.journal(name)
		if err == nil {
			t.Fatalf("systemd started the unit:\n%s", journal)
		}
		if state := p.loadState(t, name); state == "loaded" {
			t.Errorf("LoadState=%s, want the unit refused", state)
		}
		if !strings.Contains(err.Error()+journal, why) {
			t.Errorf("neither systemctl nor the journal says %q:\n%v\n%s", why, err, journal)
		}
		t.Logf("systemd: %s", firstMatch(journal+"\n"+err.Error(), why))
	}
}

// invalidUTF8: systemd ignores the line, and the unit has no ExecStart=.
// Written as a C escape instead, the byte would reach dockerd, but systemd
// could not show the unit over D-Bus, and Environment= refuses it anyway.
func invalidUTF8(t *testing.T, p *probeGuest, name string, e generator.Engine) {
	notLoaded("not UTF-8 clean")(t, p, name, e)
	t.Run("escaped", func(t *testing.T) {
		p.install(t, unit{name: "escaped-ff", execStart: "/bin/false", dropIn: []byte("[Service]\nExecStart=\nExecStart=dockerd \"k=\\xff\"\n")})
		if argv, _ := p.started(t, "escaped-ff"); !slices.Equal(argv, []string{"k=\xff"}) {
			t.Errorf("dockerd got %q", argv)
		}
		out, err := p.guest.Run(p.ctx, "systemctl", "show", "-p", "ExecStart", "probe-escaped-ff.service")
		if err == nil {
			t.Fatalf("systemctl show works:\n%s", out)
		}
		t.Logf("systemctl show: %s", strings.TrimSpace(lastLine(out)))
	})
}

// mangled: the unit starts, but dockerd does not get want.
func mangled(want string) func(*testing.T, *probeGuest, string, generator.Engine) {
	return func(t *testing.T, p *probeGuest, name string, _ generator.Engine) {
		argv, _ := p.started(t, name)
		if slices.Contains(argv, want) {
			t.Fatalf("dockerd got %q exactly", want)
		}
		t.Logf("dockerd got %q instead of %q", argv[len(argv)-1], want)
	}
}

// envDropped: dockerd starts, but without the environment entry.
func envDropped(entry string) func(*testing.T, *probeGuest, string, generator.Engine) {
	return func(t *testing.T, p *probeGuest, name string, _ generator.Engine) {
		_, env := p.started(t, name)
		if slices.Contains(env, entry) {
			t.Fatalf("dockerd got the environment entry %q exactly", entry)
		}
		t.Logf("systemd: %s", firstMatch(p.journal(name), "UTF-8"))
	}
}

// execFails: systemd loads the unit, but Linux refuses to start dockerd.
// The errno is logged by the child systemd forks for the unit, not by
// systemd itself, and under load that one message has been missing from
// the journal though the start failed with status=203/EXEC (after
// journalctl --sync too): a failed start without it is tried again, up to
// three times, for the journal's word.
func execFails(t *testing.T, p *probeGuest, name string, _ generator.Engine) {
	var journal string
	for attempt := 1; attempt <= 3; attempt++ {
		err := p.start(name)
		journal = p.journal(name)
		if err == nil {
			t.Fatalf("dockerd started:\n%s", journal)
		}
		if strings.Contains(journal, "Argument list too long") {
			t.Logf("systemd: %s", firstMatch(journal, "Argument list too long"))
			return
		}
		t.Logf("start %d failed, but the journal does not say why yet", attempt)
	}
	t.Errorf("the journal does not say E2BIG:\n%s", journal)
}

func firstMatch(s, sub string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			return line
		}
	}
	return ""
}

// checkFlatcarTooLong: options that fit one by one, but not together in
// DOCKER_OPTS.
func (p *probeGuest) checkFlatcarTooLong(t *testing.T) {
	labels := []string{"a=" + strings.Repeat("x", 70000), "b=" + strings.Repeat("y", 70000)}
	stderr := p.refused(t, "too-long-flatcar", "--os", "flatcar", "--format", "butane", "--engine-label", labels[0], "--engine-label", labels[1])
	if want := "flatcar passes all engine options in one environment entry, DOCKER_OPTS"; !strings.Contains(stderr, want) {
		t.Errorf("dockbake's refusal lacks %q:\n%s", want, abbrevAll([]string{stderr})[0])
	}
	// Safe words need no quoting: this is the line dockbake would write.
	opts := slices.Concat(flatcarHead()[2:], []string{"--label=" + labels[0], "--label=" + labels[1]})
	dropIn, err := templates.RenderEnvDropIn(templates.EnvDropIn{Machine: "probe", Environment: []string{`"DOCKER_OPTS=` + strings.Join(opts, " ") + `"`}})
	if err != nil {
		t.Fatal(err)
	}
	p.install(t, unit{name: "flatcar-too-long", execStart: flatcarExecStart, dropIn: dropIn})
	execFails(t, p, "flatcar-too-long", generator.Engine{})
}

// checkFlatcarCollision: a DOCKER_OPTS of engine-env replaces dockbake's,
// and dockerd would start without TLS.
func (p *probeGuest) checkFlatcarCollision(t *testing.T) {
	stderr := p.refused(t, "collision", "--os", "flatcar", "--format", "butane", "--engine-env", "DOCKER_OPTS=--debug")
	if want := `--engine-env "DOCKER_OPTS=--debug": flatcar's docker.service reads dockbake's TLS flags from DOCKER_OPTS`; !strings.Contains(stderr, want) {
		t.Errorf("dockbake's refusal lacks %q:\n%s", want, stderr)
	}
	dropIn := p.create(t, "no-collision", "--os", "flatcar", "--format", "butane")
	dropIn = append(dropIn, "Environment=DOCKER_OPTS=--debug\n"...)
	p.install(t, unit{name: "collision", execStart: flatcarExecStart, dropIn: dropIn})
	argv, _ := p.started(t, "collision")
	if slices.Contains(argv, "--tlsverify") || !slices.Contains(argv, "--debug") {
		t.Fatalf("dockerd's argv %q: want --debug and no --tlsverify", argv)
	}
	t.Logf("dockerd got %q: the TLS flags are gone", argv)
}

// checkExecTotal: environment entries that take dockerd's start to the
// generator's limit start; ones beyond Linux's ARG_MAX (2 MiB) do not.
func (p *probeGuest) checkExecTotal(t *testing.T) {
	env := func(n int) []string {
		var e []string
		for i := range n {
			e = append(e, fmt.Sprintf("BIG%02d=%s", i, strings.Repeat("x", 120000)))
		}
		return e
	}
	atLimit := generator.Engine{Env: env(16)}
	spec, _ := probeSpec(atLimit)
	if err := spec.Validate(); err != nil {
		t.Fatalf("the generator refuses %d bytes of environment: %v", 16*120006, err)
	}
	spec.Engine.Env = env(18)
	if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), "dockerd's arguments and environment would take") {
		t.Fatalf("the generator accepts %d bytes of environment: %v", 18*120006, err)
	}
	p.install(t, unit{name: "total-ok", execStart: "/bin/false", dropIn: planDropIn(t, atLimit)},
		unit{name: "total-over", execStart: "/bin/false", dropIn: wouldBe(t, generator.Engine{Env: env(18)})})
	_, got := p.started(t, "total-ok")
	for _, e := range atLimit.Env {
		if !slices.Contains(got, e) {
			t.Errorf("dockerd's environment lacks %s", abbrevAll([]string{e})[0])
		}
	}
	execFails(t, p, "total-over", generator.Engine{})
}
