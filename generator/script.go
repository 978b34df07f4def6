package generator

import (
	"fmt"
	"strings"

	"github.com/dockbake/dockbake/templates"
)

// RenderScript writes the plan as a POSIX sh script that applies it to a
// running host: files, repositories, packages, commands, in the order
// cloud-init would. It installs packages with the OS's own package
// manager, after waiting for cloud-init's own boot work on a fresh cloud
// VM, and is safe to run again.
func RenderScript(p *Plan) ([]byte, error) {
	if len(p.EnableUnits) > 0 || p.OS.Family == FamilyImage {
		return nil, fmt.Errorf("machine %q: %s is set up by Ignition, not by a script", p.Machine, p.OS.ID)
	}
	s := templates.Script{
		Machine: p.Machine, URL: p.URL, OS: p.OS.ID,
		Done: ShellQuote(fmt.Sprintf("dockbake: Docker on this host now takes mutual TLS on %s; on your machine run: eval \"$(dockbake env %s)\"", p.URL, p.Machine)),
	}
	files := append([]File{}, p.Files...)
	for _, r := range p.Repos {
		files = append(files, r.File())
	}
	for _, f := range files {
		s.Files = append(s.Files, scriptFile(f))
	}
	// The same lines the Packer provisioner runs: each step's Shell.
	for _, st := range p.RunSteps() {
		if st.Kind == StepCommand {
			s.Commands = append(s.Commands, st.Shell())
		} else {
			s.Packages = append(s.Packages, st.Shell())
		}
	}
	return templates.RenderScript(s)
}

// scriptFile says one file in the script: a quoted here-document where the
// content allows one, else a single-quoted printf argument. A here-document
// needs content that ends in a newline, has no line equal to the
// delimiter, and is ASCII: dash 0.5.12 (Debian's sh) drops the first byte
// above 0x7f that follows the start of a line matching the start of the
// delimiter ("Dé" before DOCKBAKE_EOF is written as a lone 0xa9).
func scriptFile(f File) templates.ScriptFile {
	sf := templates.ScriptFile{Path: ShellQuote(f.Path), Mode: fmt.Sprintf("%04o", f.Mode.Perm()), Owner: ShellQuote(f.Owner)}
	content := string(f.Content)
	if strings.HasSuffix(content, "\n") && isASCII(content) {
		delim := "DOCKBAKE_EOF"
		for n := 1; strings.Contains("\n"+content, "\n"+delim+"\n"); n++ {
			delim = fmt.Sprintf("DOCKBAKE_EOF_%d", n)
		}
		sf.Delimiter, sf.Content = delim, content
		return sf
	}
	sf.Content = ShellQuote(content)
	return sf
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
