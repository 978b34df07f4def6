package generator

import (
	"fmt"
	"strings"
	"testing"
)

// hostilePaths are storage paths that reach env's output twice, in
// DOCKER_CERT_PATH and in the usage hint. Every byte must reach the
// variable or the hint's command, or the path is refused; none may run.
var hostilePaths = []string{
	hostilePath,
	"/home/u/store\ntouch pwned\n",          // the hint's comment used to end here
	"/home/u/store\r\ntouch pwned #",        // CRLF
	"/x/$(touch pwned)", "/x/`touch pwned`", // command substitution
	"/x/${HOME}", "/x/$HOME$", "/x/$", // variables
	"/x;touch pwned;", "/x|touch pwned", "/x&&touch pwned&", "/x>pwned", "/x<y", "/x(y)",
	"/x/!!", "/x/!touch", "/x/a!b!c", "!", // history
	"/x/{a,b}", "/x/{}", "/x/{", "/x/}", "/x/{,;touch pwned}", // braces: tcsh expands them
	`/x/it's "quoted"`, `'`, `"`, `''`, `'\''`, // quotes
	`/x/back\slash\`, `\`, `\\`, `\'`, `\!`, // backslashes
	"/x/two  spaces   three", "  lead", "trail  ", " ", "a \t b", // runs of spaces, a tab
	"/x/100%", "%self", "%PATH%", "/x/^&", // cmd.exe and fish
	"=ls", "~", "~root", "-", "--", "/x/*", "/x/[a]?", "#comment", "/x/#", // expansions
	"/x/\xff\xfe\xc3(", "/x/é ü 💥", "/x/\u2019\u201c\u00a0", "/x/\u2028", // beyond ASCII and UTF-8
	"/x/\x1b]0;title\a", "/x/\x7f", "/x/\u0085", // terminal control
	"",
}

// hostileNames are machine names: the name rule keeps them plain, so
// they vary within it.
var hostileNames = []string{"web1", "a", "A-b_c.d", "x..y", "9" + strings.Repeat("z", 62), "0-", "a_"}

// TestEnvHostileStoragePath is the security test of `dockbake env`:
// nothing from a storage path or a machine name ever runs in bash, zsh,
// sh, fish or tcsh, and each variable ends exactly as written, whether
// the output is set or unset, evaluated or its hint typed.
func TestEnvHostileStoragePath(t *testing.T) {
	for _, rs := range realShells {
		t.Run(string(rs.shell), func(t *testing.T) {
			t.Parallel() // each check has its own directory; shells mostly wait
			rs := lookShell(t, rs.shell)
			for i, p := range hostilePaths {
				name := hostileNames[i%len(hostileNames)]
				t.Run(fmt.Sprint(i), func(t *testing.T) { checkEnv(t, rs, p, name) })
			}
		})
	}
}

// The fuzz targets feed the real shell a storage path and a machine name;
// the oracle is what the shell ends with (checkEnv).
func FuzzEnvBash(f *testing.F) { fuzzEnv(f, ShellBash) }
func FuzzEnvZsh(f *testing.F)  { fuzzEnv(f, ShellZsh) }
func FuzzEnvSh(f *testing.F)   { fuzzEnv(f, ShellSh) }
func FuzzEnvFish(f *testing.F) { fuzzEnv(f, ShellFish) }
func FuzzEnvTcsh(f *testing.F) { fuzzEnv(f, ShellTcsh) }

func fuzzEnv(f *testing.F, sh Shell) {
	rs := lookShell(f, sh)
	// A seed of each kind; TestEnvHostileStoragePath runs them all.
	for _, i := range []int{0, 1, 3, 4, 8, 11, 17, 21, 24, 28, 36, 41, 48} {
		f.Add(hostilePaths[i], hostileNames[i%len(hostileNames)])
	}
	f.Fuzz(func(t *testing.T, storage, name string) {
		if strings.ContainsRune(storage, 0) {
			t.Skip("a path cannot hold a NUL byte")
		}
		checkEnv(t, rs, storage, ruledName(name))
	})
}

// ruledName maps any string into the name rule (nameRE), so that the
// fuzzer varies names within it instead of skipping them.
func ruledName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '.' || r == '_' || r == '-' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return r
		}
		return -1
	}, s)
	if s == "" || strings.ContainsRune("._-", rune(s[0])) {
		s = "m" + s
	}
	if len(s) > 63 {
		s = s[:63]
	}
	if !nameWord.match(s) {
		panic("ruledName(" + s + ") breaks the name rule")
	}
	return s
}
