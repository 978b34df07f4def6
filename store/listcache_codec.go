package store

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"sync"
	"time"
)

// cachedMachine is what List keeps of a machine it found whole: what it
// showed, and the state of its files then. One read from the cache file
// is raw, its record as written, parsed only as far as List needs it;
// one found by this List is a foundMachine. A raw one is small: a List of
// ten thousand machines reads ten thousand of them.
type cachedMachine struct {
	raw []byte
	*foundMachine
}

// foundMachine is a machine as this List found it: what it showed, and
// the state of its files.
type foundMachine struct {
	summary summary
	dirs    []dirState
}

// summary is a Listed without the name, the client directory (which the
// name gives) and problems (a machine with any is not kept).
type summary struct {
	url, ca, fleet                          string
	attached                                bool
	serverExpires, clientExpires, caExpires time.Time
}

func summaryOf(l Listed) summary {
	return summary{url: l.URL, ca: l.CA, fleet: l.Fleet, attached: l.Attached,
		serverExpires: l.ServerExpires, clientExpires: l.ClientExpires, caExpires: l.CAExpires}
}

// listed is machine name as c shows it; ok is false for a raw record
// that does not parse.
func (c *cachedMachine) listed(s *Store, name string) (Listed, bool) {
	var m summary
	if c.raw != nil {
		r := &reader{b: c.raw}
		m = r.summary()
		if r.err != nil {
			return Listed{}, false
		}
	} else {
		m = c.summary
	}
	return Listed{Name: name, URL: m.url, Attached: m.attached, CA: m.ca, Fleet: m.fleet, ClientDir: s.ClientDir(name),
		ServerExpires: m.serverExpires, ClientExpires: m.clientExpires, CAExpires: m.caExpires}, true
}

// unchanged reports whether every directory and entry c recorded is as it
// was; look gives the state now of entry name of directory rel (below the
// store), or of the directory itself for an empty name. A raw record is
// compared as it is read, with no copy of its states or names.
func (c *cachedMachine) unchanged(look func(rel, name []byte) (fileState, bool)) bool {
	if c.raw == nil {
		for _, d := range c.dirs {
			rel := []byte(d.rel)
			if now, ok := look(rel, nil); !ok || now != d.self {
				return false
			}
			for _, e := range d.entries {
				if now, ok := look(rel, []byte(e.name)); !ok || now != e.state {
					return false
				}
			}
		}
		return true
	}
	r := &reader{b: c.raw}
	r.rawSummary()
	for range r.count() {
		rel := r.bytes()
		if now, ok := look(rel, nil); !ok || now != r.state() {
			return false
		}
		for range r.count() {
			name := r.bytes()
			if now, ok := look(rel, name); !ok || now != r.state() {
				return false
			}
		}
	}
	return r.err == nil && len(r.b) == 0
}

// parsed is c with its raw record parsed whole.
func (c *cachedMachine) parsed() (*cachedMachine, error) {
	if c.raw == nil {
		return c, nil
	}
	r := &reader{b: c.raw}
	out := &cachedMachine{foundMachine: &foundMachine{summary: r.summary(), dirs: make([]dirState, r.count())}}
	for i := range out.dirs {
		d := &out.dirs[i]
		d.rel, d.self = r.string(), r.state()
		d.entries = make([]entryState, r.count())
		for j := range d.entries {
			d.entries[j] = entryState{name: r.interned(), state: r.state()}
		}
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, errListCache
	}
	return out, nil
}

// listCacheMagic opens the cache file; its last byte is the format's
// version, raised whenever what Check finds, or what a listing shows,
// changes, so that no verdict of an older dockbake is trusted.
const listCacheMagic = "dockbake list cache\x00\x02"

// listCache is what a List keeps for the next: the machines it found
// whole, sorted by name, and, when those were every machine of the store,
// the state of the store's hosts and machines directories when it read
// their names. While neither directory has changed since (no entry added,
// removed or renamed), the next List takes the names from here instead of
// reading two directories of thousands of entries.
type listCache struct {
	names   []string         // sorted; nil when there is no cache
	entries []*cachedMachine // entries[i] is names[i]'s
	tops    *topStates       // nil: the names are to be read from the directories
}

// cachedFor is the cached machine of each of names, sorted, or nil where
// c has none: c's own entries for its own names, else found by merging the
// two sorted lists.
func (c listCache) cachedFor(names []string) []*cachedMachine {
	if len(names) == len(c.names) && (len(names) == 0 || &names[0] == &c.names[0]) {
		return c.entries
	}
	out := make([]*cachedMachine, len(names))
	j := 0
	for i, n := range names {
		for j < len(c.names) && c.names[j] < n {
			j++
		}
		if j < len(c.names) && c.names[j] == n {
			out[i] = c.entries[j]
		}
	}
	return out
}

// topStates is the state of the hosts and the machines directory.
type topStates [2]fileState

// recent reports whether either directory changed at or after limit.
func (t topStates) recent(limit int64) bool { return t[0].recent(limit) || t[1].recent(limit) }

// crcTable is made on first use: making it when the package loads would
// cost every command its time at start-up, also those that list nothing.
var crcTable = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// encodeListCache writes c as the magic; a byte that says whether the
// states of the top directories follow, and those; the machines sorted by
// name, each its name and its record's length and record; and a CRC-32C
// of all that. A raw record is written as it was read.
func encodeListCache(c listCache) []byte {
	b := append([]byte{}, listCacheMagic...)
	b = append(b, boolByte(c.tops != nil))
	if c.tops != nil {
		b = appendState(appendState(b, c.tops[0]), c.tops[1])
	}
	b = binary.AppendUvarint(b, uint64(len(c.names)))
	var rec []byte
	for i, n := range c.names {
		c := c.entries[i]
		raw := c.raw
		if raw == nil {
			rec = appendRecord(rec[:0], c)
			raw = rec
		}
		b = binary.AppendUvarint(appendString(b, n), uint64(len(raw)))
		b = append(b, raw...)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable()))
}

// appendRecord appends the record of c: its summary and its states.
func appendRecord(b []byte, c *cachedMachine) []byte {
	m := c.summary
	b = appendString(appendString(appendString(b, m.url), m.ca), m.fleet)
	b = append(b, boolByte(m.attached))
	for _, t := range []time.Time{m.serverExpires, m.clientExpires, m.caExpires} {
		b = binary.AppendVarint(b, t.UnixNano())
	}
	b = binary.AppendUvarint(b, uint64(len(c.dirs)))
	for _, d := range c.dirs {
		b = appendState(appendString(b, d.rel), d.self)
		b = binary.AppendUvarint(b, uint64(len(d.entries)))
		for _, e := range d.entries {
			b = appendState(appendString(b, e.name), e.state)
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendState(b []byte, f fileState) []byte {
	b = binary.AppendUvarint(binary.AppendUvarint(b, f.dev), f.ino)
	b = binary.AppendUvarint(b, uint64(f.mode))
	return binary.AppendVarint(binary.AppendVarint(binary.AppendVarint(b, f.size), f.mtime), f.ctime)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// errListCache is a cache file that does not read back whole.
var errListCache = errors.New("the list cache does not read back")

// decodeListCache reads what encodeListCache wrote, refusing a file of
// another version, a torn one, one with bytes to spare and one whose names
// are not in order. Each record stays raw, a slice of data.
func decodeListCache(data []byte) (listCache, error) {
	if len(data) < len(listCacheMagic)+4 || string(data[:len(listCacheMagic)]) != listCacheMagic {
		return listCache{}, errListCache
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, crcTable()) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return listCache{}, errListCache
	}
	r := &reader{b: body[len(listCacheMagic):]}
	var c listCache
	switch r.byte() {
	case 0:
	case 1:
		c.tops = &topStates{r.state(), r.state()}
	default:
		r.fail()
	}
	n := r.count()
	c.names = make([]string, 0, n)
	c.entries = make([]*cachedMachine, 0, n)
	raws := make([]cachedMachine, n)
	for i := range n {
		name := r.string()
		size := r.count()
		if r.err != nil {
			break
		}
		if len(c.names) > 0 && c.names[len(c.names)-1] >= name {
			r.fail()
			break
		}
		raws[i].raw = r.b[:size:size]
		c.names, c.entries = append(c.names, name), append(c.entries, &raws[i])
		r.b = r.b[size:]
	}
	if r.err != nil || len(r.b) != 0 {
		return listCache{}, errListCache
	}
	return c, nil
}

// reader takes values off b; the first that does not fit sets err, and
// every later one is zero.
type reader struct {
	b    []byte
	err  error
	seen map[string]string
}

// interned is a string that recurs (the names of a machine's files): one
// copy for all.
func (r *reader) interned() string {
	n := r.count()
	if r.seen == nil {
		r.seen = map[string]string{}
	}
	s, ok := r.seen[string(r.b[:n])] // no allocation for the lookup
	if !ok {
		s = string(r.b[:n])
		r.seen[s] = s
	}
	r.b = r.b[n:]
	return s
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count is a number of things that follow, each at least a byte long.
func (r *reader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *reader) string() string { return string(r.bytes()) }

// bytes is the next string as it is in b, not copied.
func (r *reader) bytes() []byte {
	n := r.count()
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) summary() summary {
	raw := r.rawSummary()
	m := summary{url: string(raw.url), ca: string(raw.ca), fleet: string(raw.fleet), attached: raw.attached == 1}
	for i, t := range []*time.Time{&m.serverExpires, &m.clientExpires, &m.caExpires} {
		*t = time.Unix(0, raw.expires[i]).UTC()
	}
	return m
}

// rawSummary is a summary as a record holds it (appendRecord), its
// strings not copied: what a comparison reads to pass over it.
type rawSummary struct {
	url, ca, fleet []byte
	attached       byte
	expires        [3]int64 // server, client, CA, in Unix nanoseconds
}

func (r *reader) rawSummary() rawSummary {
	return rawSummary{url: r.bytes(), ca: r.bytes(), fleet: r.bytes(), attached: r.byte(),
		expires: [3]int64{r.varint(), r.varint(), r.varint()}}
}

func (r *reader) state() fileState {
	return fileState{dev: r.uvarint(), ino: r.uvarint(), mode: uint32(r.uvarint()),
		size: r.varint(), mtime: r.varint(), ctime: r.varint()}
}

func (r *reader) fail() {
	r.err = errListCache
	r.b = nil
}
