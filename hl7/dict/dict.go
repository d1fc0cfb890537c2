package dict

import (
	"embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:generate go run ./internal/gen/dictgen -out data

// data holds the generated files: one per version and one for the tables. They are decoded on
// first use, one version at a time.
//
//go:embed data/*.dict.gz
var data embed.FS

const (
	fileSuffix = ".dict.gz"
	tablesFile = "tables" + fileSuffix
)

// Version is the definitions of one HL7 version. It is shared by every caller and safe for
// concurrent use; the definitions it returns are shared too, and must be treated as read-only.
type Version struct {
	Name string // "2.5.1"

	segments   map[string]*Segment
	dataTypes  map[string]*DataType
	structures map[string]*Structure
	events     map[string]*Structure // "ADT^A04" → ADT_A01
}

// catalog lists the embedded versions, oldest first, each with the function that decodes it
// once. A damaged file makes that function panic on every call, not only the first.
type catalog struct {
	names []string
	load  map[string]func() *Version
}

var versionCatalog = sync.OnceValue(func() *catalog {
	entries, err := data.ReadDir("data")
	if err != nil {
		panic(fmt.Sprintf("dict: embedded data unreadable: %v", err))
	}
	c := &catalog{load: map[string]func() *Version{}}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), fileSuffix)
		if !ok || e.Name() == tablesFile {
			continue
		}
		c.names = append(c.names, name)
		c.load[name] = sync.OnceValue(func() *Version {
			b, err := data.ReadFile("data/" + e.Name())
			var v *Version
			if err == nil {
				v, err = decodeVersion(b)
			}
			if err != nil {
				panic(fmt.Sprintf("dict: embedded definitions of %s are damaged: %v; regenerate them with go generate ./hl7/dict", name, err))
			}
			return v
		})
	}
	slices.SortFunc(c.names, func(a, b string) int { return slices.Compare(parseVersion(a), parseVersion(b)) })
	return c
})

// Versions returns the versions that have definitions, oldest first: 2.1, 2.2, 2.3, 2.3.1,
// 2.4, 2.5, 2.5.1, 2.6, 2.7, 2.7.1.
func Versions() []string {
	return slices.Clone(versionCatalog().names)
}

// Lookup returns the definitions for version v, as found in MSH-12. A version without
// definitions falls back to the newest known version not newer than it, and fellBack is true:
// "2.8" and "2.9" get 2.7.1 (the source stops there), "2.5.1.1" gets 2.5.1, "2.3.2" gets 2.3.1.
// A version older than the oldest gets the oldest; an empty or unreadable one gets the newest.
// A validator should say which version it used when fellBack is true.
//
// The first Lookup of a version decodes it (a few milliseconds); later ones return the same
// *Version.
func Lookup(v string) (d *Version, fellBack bool) {
	c := versionCatalog()
	name, fellBack := resolve(c.names, v)
	return c.load[name](), fellBack
}

// resolve picks the known version for v; names is sorted oldest first.
func resolve(names []string, v string) (string, bool) {
	v = strings.TrimSpace(v)
	if slices.Contains(names, v) {
		return v, false
	}
	want := parseVersion(v)
	if want == nil {
		return names[len(names)-1], true
	}
	for i := len(names) - 1; i >= 0; i-- {
		// slices.Compare orders [2 3] < [2 3 1] < [2 4], as HL7 versions go.
		if slices.Compare(parseVersion(names[i]), want) <= 0 {
			return names[i], true
		}
	}
	return names[0], true
}

// parseVersion reads "2.5.1" as [2 5 1]; nil when v is not dot-separated numbers.
func parseVersion(v string) []int {
	if v == "" {
		return nil
	}
	var out []int
	for part := range strings.SplitSeq(v, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 || part[0] == '+' {
			return nil
		}
		out = append(out, n)
	}
	return out
}

// upper returns s in upper case, without allocating when it already is.
func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}

// Segment returns the definition of segment name ("PID"), or nil. Names are matched without
// regard to case.
func (d *Version) Segment(name string) *Segment {
	return d.segments[upper(name)]
}

// DataType returns the definition of data type name ("XPN"), or nil.
func (d *Version) DataType(name string) *DataType {
	return d.dataTypes[upper(name)]
}

// Structure returns message structure name ("ADT_A01"), as found in MSH-9.3, or nil.
//
// Besides the structures of table 0354 the source defines messages per trigger event, and
// those are returned too: Structure("ADT_A04") is the source's definition for ADT^A04, which
// in 2.5 and 2.5.1 lacks the SFT segment that ADT_A01, the structure the standard assigns to
// A04, has. Use StructureFor to go from an event to its structure.
func (d *Version) Structure(name string) *Structure {
	return d.structures[upper(name)]
}

// StructureFor returns the structure of messages of type msgType and trigger event trigger
// (MSH-9.1 and MSH-9.2): ADT, A04 gives ADT_A01 from 2.3.1 on. Use it when MSH-9.3 is empty;
// when it is given, Structure(MSH-9.3) is the structure the sender claims.
//
// Before 2.3.1 each event has its own definition (ADT, A04 gives ADT_A04 in 2.3). A message
// type with one definition for all events (ACK) gives it for any trigger, including "".
// docs/dict.md tells how the event map is derived from the source.
func (d *Version) StructureFor(msgType, trigger string) (*Structure, bool) {
	msgType, trigger = upper(msgType), upper(trigger)
	if s, ok := d.events[msgType+"^"+trigger]; ok {
		return s, true
	}
	if s, ok := d.structures[msgType]; ok {
		return s, true
	}
	return nil, false
}

// FieldName returns the name of field seq of segment seg (PID, 5 gives "Patient Name"), or ""
// when the version does not define it.
func (d *Version) FieldName(seg string, seq int) string {
	if f := d.Segment(seg).Field(seq); f != nil {
		return f.Name
	}
	return ""
}

// Table returns table id, or nil when the source does not have it. id may be written "0001",
// "1" or "HL70001".
//
// The source has one set of tables for all versions, so every version returns the same
// tables: codes a later version added are accepted for earlier ones too. It also lacks many
// tables that fields name, most of them user-defined (0005 Race is there, 0289 County is not).
func (d *Version) Table(id string) *Table {
	n, ok := tableNumber(id)
	if !ok {
		return nil
	}
	return loadTables()[n]
}

// tableNumber reads a table id in any of the accepted forms.
func tableNumber(id string) (int, bool) {
	id = strings.TrimSpace(id)
	if len(id) >= 3 && strings.EqualFold(id[:3], "HL7") {
		id = id[3:]
	}
	if id == "" || len(id) > 6 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return 0, false
		}
		n = n*10 + int(id[i]-'0')
	}
	return n, true
}

var loadTables = sync.OnceValue(func() map[int]*Table {
	b, err := data.ReadFile("data/" + tablesFile)
	var tables map[int]*Table
	if err == nil {
		tables, err = decodeTables(b)
	}
	if err != nil {
		panic(fmt.Sprintf("dict: embedded tables are damaged: %v; regenerate them with go generate ./hl7/dict", err))
	}
	return tables
})
