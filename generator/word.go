package generator

// A word is the rule of a name, label or number that is one run of ASCII
// characters of a few classes: the first from first, the others from
// rest, the last of two or more also from last (when set), and one to
// max of them (max 0: no bound). It decides what the anchored regular
// expression of the same classes would, without the compiling of one that
// costs a command its start-up (env and url check a machine's name first).
type word struct {
	first, rest, last charSet
	max               int
}

// charSet is a set of ASCII characters.
type charSet struct{ bits [2]uint64 }

// chars is the set that spec lists: single characters and ranges such as
// a-z; a '-' that ends spec is itself.
func chars(spec string) charSet {
	var s charSet
	for i := 0; i < len(spec); i++ {
		lo, hi := spec[i], spec[i]
		if i+2 < len(spec) && spec[i+1] == '-' {
			hi = spec[i+2]
			i += 2
		}
		for c := int(lo); c <= int(hi); c++ {
			s.bits[c/64] |= 1 << (c % 64)
		}
	}
	return s
}

func (s charSet) has(c byte) bool { return c < 128 && s.bits[c/64]&(1<<(c%64)) != 0 }

func (w word) match(s string) bool {
	if len(s) == 0 || (w.max > 0 && len(s) > w.max) || !w.first.has(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !w.rest.has(s[i]) {
			return false
		}
	}
	return len(s) == 1 || w.last == (charSet{}) || w.last.has(s[len(s)-1])
}

// The classes the rules are made of, beside alnum (envquote.go).
const (
	lower  = "a-z"
	upper  = "A-Z"
	digits = "0-9"
)

var (
	// nameWord is the one rule for machine, CA and user names.
	nameWord = word{first: chars(alnum), rest: chars(alnum + "._-"), max: 63}
	// userWord is a Unix user name as useradd takes it.
	userWord = word{first: chars(lower + "_"), rest: chars(lower + digits + "_-"), max: 32}
	// flagWord is a dockerd flag's name, without its dashes.
	flagWord = word{first: chars(lower), rest: chars(lower + digits + "-")}
	// envNameWord is an environment variable's name.
	envNameWord = word{first: chars(upper + lower + "_"), rest: chars(alnum + "_")}
	// storageDriverWord is a storage driver's name as dockerd's
	// --storage-driver takes it.
	storageDriverWord = word{first: chars(lower + digits), rest: chars(lower + digits + "._-")}
	// deliveryIDWord is the rule for delivery IDs, which name a directory
	// and a file in the spool. The script removes, unseen, an entry that
	// breaks it.
	deliveryIDWord = word{first: chars(alnum + "_-"), rest: chars(alnum + "._-"), max: 64}
	// dnsLabelWord is a label of an RFC 1123 host name.
	dnsLabelWord = word{first: chars(alnum), rest: chars(alnum + "-"), last: chars(alnum), max: 63}
	// decimalWord is a number of up to nine digits with no leading zero.
	decimalWord = word{first: chars("1-9"), rest: chars(digits), max: 9}
	digitsWord  = word{first: chars(digits), rest: chars(digits)}
	hexWord     = word{first: chars(digits + "A-Fa-f"), rest: chars(digits + "A-Fa-f")}
)

// PlainDecimal reports whether s is a number as a port is written: no
// sign, base prefix or leading zero, at most nine digits. Flag and YAML
// parsers would read 010 as octal 8 and 0x10 as 16; a port means one
// number here.
func PlainDecimal(s string) bool { return s == "0" || decimalWord.match(s) }

// dnsLabel reports whether l is a label of an RFC 1123 host name, or the
// wildcard label.
func dnsLabel(l string) bool { return l == "*" || dnsLabelWord.match(l) }

// numericLabel reports whether l is a label that an IPv4 parser reads as
// a number: decimal, or hex after 0x (WHATWG URL's "ends in a number"
// rule; inet_aton takes these and octal, which is written in decimal
// digits).
func numericLabel(l string) bool {
	if digitsWord.match(l) {
		return true
	}
	return len(l) >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X') && (len(l) == 2 || hexWord.match(l[2:]))
}
