package dockbake

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/packer-plugin/machine"
)

// osIDAliases maps os-release IDs to the prefix of dockbake's OS names
// where the two differ.
var osIDAliases = map[string]string{
	"amzn":   "amazonlinux",
	"centos": "centos-stream", // CentOS Linux is gone; ID=centos is Stream
}

// osFromRelease maps /etc/os-release (see os-release(5)) to one of the
// generator's OS names: ID=debian VERSION_ID="12" is debian-12, ID=rocky
// VERSION_ID="9.4" is rocky-9, ID=flatcar is flatcar.
func osFromRelease(content string) (string, error) {
	vars := parseOSRelease(content)
	id, ver := vars["ID"], vars["VERSION_ID"]
	if alias, ok := osIDAliases[id]; ok {
		id = alias
	}
	major, _, _ := strings.Cut(ver, ".")
	candidates := []string{id + "-" + ver, id + "-" + major, id}
	if vars["ID"] == "fedora" && vars["VARIANT_ID"] == "coreos" {
		candidates = []string{"fedora-coreos"}
	}
	for _, c := range candidates {
		if _, ok := generator.LookupOS(c); ok {
			return c, nil
		}
	}
	name := vars["PRETTY_NAME"]
	if name == "" {
		name = vars["ID"] + " " + ver
	}
	return "", &machine.AttrError{Attr: "os", Msg: fmt.Sprintf("the build VM runs %q (ID=%s, VERSION_ID=%s), which dockbake has no settings for: use a build VM with one of %s, or set os to the closest of them",
		name, vars["ID"], ver, strings.Join(generator.OSNames(), ", "))}
}

// parseOSRelease reads os-release's shell-like KEY=value lines.
func parseOSRelease(content string) map[string]string {
	vars := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(content))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		} else {
			v = strings.Trim(v, `'"`)
		}
		vars[k] = v
	}
	return vars
}
