package validate

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/courier-hl7/courier/hl7/dict"
)

// TableSet holds user tables: the site's own codes for a table id, which replace the HL7
// table of that id during validation. Build one with NewTableSet and fill it with Add,
// LoadCSV or LoadXML, or read files with LoadTables. It must not change once given to New.
type TableSet struct {
	tables map[string]*userTable
}

type userTable struct {
	id     string
	name   string
	source string // file the codes came from, for messages
	codes  map[string]string
	order  []string
}

// NewTableSet returns an empty TableSet.
func NewTableSet() *TableSet { return &TableSet{tables: map[string]*userTable{}} }

// NormalizeTableID returns the canonical form of a table id: "0001" for "1", "0001" or
// "HL70001"; other ids (a site's own "99LOC") in upper case. It returns "" for an empty id.
func NormalizeTableID(id string) string {
	id = strings.ToUpper(strings.TrimSpace(id))
	digits := strings.TrimPrefix(id, "HL7")
	if digits != "" && len(digits) <= 6 && strings.Trim(digits, "0123456789") == "" {
		for len(digits) < 4 {
			digits = "0" + digits
		}
		return digits
	}
	return id
}

// Add adds codes (code → description) to table id, creating it when needed. name is the
// table's name for messages and may be empty.
func (ts *TableSet) Add(id, name string, codes map[string]string) error {
	nid := NormalizeTableID(id)
	if nid == "" {
		return errors.New("validate: a table needs an id")
	}
	t := ts.table(nid, name, "")
	keys := make([]string, 0, len(codes))
	for c := range codes {
		keys = append(keys, c)
	}
	slices.Sort(keys)
	for _, c := range keys {
		if _, dup := t.codes[c]; !dup {
			t.order = append(t.order, c)
		}
		t.codes[c] = codes[c]
	}
	return nil
}

func (ts *TableSet) table(id, name, source string) *userTable {
	if ts.tables == nil {
		ts.tables = map[string]*userTable{}
	}
	t, ok := ts.tables[id]
	if !ok {
		t = &userTable{id: id, codes: map[string]string{}}
		ts.tables[id] = t
	}
	if name != "" {
		t.name = name
	}
	if source != "" {
		t.source = source
	}
	return t
}

// IDs returns the ids of the tables in the set, sorted.
func (ts *TableSet) IDs() []string {
	if ts == nil {
		return nil
	}
	ids := make([]string, 0, len(ts.tables))
	for id := range ts.tables {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Lookup returns the description of code in table id, whether the code is there, and whether
// the set has the table at all.
func (ts *TableSet) Lookup(id, code string) (description string, found, known bool) {
	if ts == nil {
		return "", false, false
	}
	t, ok := ts.tables[NormalizeTableID(id)]
	if !ok {
		return "", false, false
	}
	d, found := t.codes[code]
	return d, found, true
}

// LoadCSV reads a CSV table file named name (for messages). The first row is a header naming
// the columns: "code" and optionally "description" (or "display") and "table". With a table
// column, each row goes to the table it names and one file can hold many tables; without
// one, every row goes to table id, which must then be given. Codes are kept exactly as
// written, spaces included: HL7 codes are case-sensitive.
func (ts *TableSet) LoadCSV(r io.Reader, name, id string) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return &FileError{File: name, Msg: "empty file: the first row must name the columns (code,description)"}
	}
	if err != nil {
		return csvError(name, err)
	}
	colCode, colDesc, colTable := -1, -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))) {
		case "code", "value":
			colCode = i
		case "description", "display", "desc":
			colDesc = i
		case "table", "table id", "table_id":
			colTable = i
		default:
			return &FileError{File: name, Line: 1, Column: i + 1, Msg: fmt.Sprintf("unknown column %q: the header names code, description and, optionally, table", h)}
		}
	}
	if colCode < 0 {
		return &FileError{File: name, Line: 1, Msg: "the header has no code column: write code,description"}
	}
	id = NormalizeTableID(id)
	if colTable < 0 && id == "" {
		return &FileError{File: name, Line: 1, Msg: "no table id: add a table column, or name the file by its table (0001.csv, HL70001.csv, LOCAL.csv)"}
	}
	if colTable < 0 {
		ts.table(id, "", name)
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if colCode >= len(rec) || rec[colCode] == "" {
			return &FileError{File: name, Line: line, Msg: "empty code"}
		}
		tid := id
		if colTable >= 0 {
			if colTable >= len(rec) || NormalizeTableID(rec[colTable]) == "" {
				return &FileError{File: name, Line: line, Msg: "empty table id"}
			}
			tid = NormalizeTableID(rec[colTable])
		}
		code := rec[colCode]
		key := tid + "\x00" + code
		if prev, dup := seen[key]; dup {
			return &FileError{File: name, Line: line, Msg: fmt.Sprintf("code %q of table %s is listed twice (first on line %d)", code, tid, prev)}
		}
		seen[key] = line
		desc := ""
		if colDesc >= 0 && colDesc < len(rec) {
			desc = rec[colDesc]
		}
		t := ts.table(tid, "", name)
		t.codes[code] = desc
		t.order = append(t.order, code)
	}
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &FileError{File: name, Line: pe.Line, Column: pe.Column, Msg: pe.Err.Error()}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// LoadXML reads tables in the XML form the HL7 Messaging Workbench writes next to its
// profiles: hl7table elements with an id (and name), each holding tableElement elements with
// a code (and description). The root element may be anything (Specification, HL7Tables).
func (ts *TableSet) LoadXML(r io.Reader, name string) error {
	root, err := parseXMLTree(r, name)
	if err != nil {
		return err
	}
	found := false
	var walk func(n *xmlNode) error
	walk = func(n *xmlNode) error {
		if strings.EqualFold(n.name, "hl7table") {
			found = true
			id := NormalizeTableID(n.attr("id"))
			if id == "" {
				return &FileError{File: name, Line: n.line, Column: n.col, Msg: "hl7table without an id"}
			}
			t := ts.table(id, n.attr("name"), name)
			for _, c := range n.children {
				if !strings.EqualFold(c.name, "tableElement") {
					continue
				}
				code, ok := c.attrOK("code")
				if !ok || code == "" {
					return &FileError{File: name, Line: c.line, Column: c.col, Msg: "tableElement without a code"}
				}
				if _, dup := t.codes[code]; !dup {
					t.order = append(t.order, code)
				}
				t.codes[code] = c.attr("description")
			}
			return nil
		}
		for _, c := range n.children {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return err
	}
	if !found {
		return &FileError{File: name, Line: root.line, Column: root.col, Msg: "no hl7table element: this is not a table file"}
	}
	return nil
}

// LoadTables reads table files into a new TableSet: files ending in .xml with LoadXML, others
// as CSV with LoadCSV. A CSV without a table column takes its table id from "ID=FILE" when
// written so, or else from its file name (0001.csv, HL70001.csv).
func LoadTables(files ...string) (*TableSet, error) {
	ts := NewTableSet()
	for _, arg := range files {
		id, path := "", arg
		if i := strings.IndexByte(arg, '='); i > 0 {
			id, path = arg[:i], arg[i+1:]
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(filepath.Ext(path), ".xml") {
			err = ts.LoadXML(f, path)
		} else {
			if id == "" {
				id = idFromFileName(path)
			}
			err = ts.LoadCSV(f, path, id)
		}
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// numericID reports whether a normalized table id is an HL7 table number.
func numericID(id string) bool {
	return id != "" && strings.Trim(id, "0123456789") == ""
}

// idFromFileName returns the table id a file name gives ("HL70001.csv" → "0001",
// "LOCALCS.csv" → "LOCALCS"), or "" when the name is not an id (letters, digits, _).
func idFromFileName(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	for _, c := range base {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return ""
		}
	}
	return NormalizeTableID(base)
}

// tableRef is a table as validation uses it: a set of codes, and how a miss is reported.
type tableRef struct {
	id    string
	name  string
	codes codeSet
	user  bool   // from the TableSet: a miss is always an error
	from  string // file the user table came from
	// special tables are checked by rule rather than by list: see tableSpecial.
	special tableSpecial
}

type tableSpecial uint8

const (
	tsNone        tableSpecial = iota
	tsValueType                // 0125, 0440: any data type the version defines
	tsCodingSystm              // 0396: the list, plus HL7nnnn, 99zzz and L
	tsVersion                  // 0104: the list, plus every version that has definitions
)

// describe names the table for messages: "HL7 table 0004 (Patient Class)".
func (t *tableRef) describe() string {
	s := "HL7 table " + t.id
	if t.user {
		s = "table " + t.id
	}
	if t.name != "" {
		s += " (" + t.name + ")"
	}
	if t.user && t.from != "" {
		s += " from " + filepath.Base(t.from)
	}
	return s
}

// knownVersions lists the versions with definitions, once.
var knownVersions = sync.OnceValue(dict.Versions)

// hl7Tables caches the HL7 tables as sets. They are the same for every version (the source
// has one set), so they are shared by all validators.
var hl7Tables sync.Map // id → *tableRef (nil pointer: no codes to check against)

// table returns the table id as validation checks it: the user's table when the TableSet has
// one, else the HL7 table; nil when neither has codes.
func (v *Validator) table(id string, vs *vspec) *tableRef {
	id = NormalizeTableID(id)
	if id == "" {
		return nil
	}
	if t := v.userTable(id); t != nil {
		return t
	}
	switch id {
	case "0125", "0440":
		// The source's table is v2.7's and lacks CE and TS; any type of the version is right.
		return &tableRef{id: id, name: "Value type", special: tsValueType}
	case "0291":
		// v2.7 replaced the subtypes of table 0291 by the IANA media subtypes and the source
		// keeps only HL7's own addition (x-hl7-cda-level-one): the list cannot tell a wrong
		// subtype from PDF.
		return nil
	}
	if t, ok := hl7Tables.Load(id); ok {
		return t.(*tableRef)
	}
	var t *tableRef
	if dt := vs.d.Table(id); dt != nil && len(dt.Codes) > 0 {
		t = &tableRef{id: id, name: dt.Name}
		for _, c := range dt.Codes {
			t.codes.add(c.Value)
		}
		t.codes.seal()
		switch id {
		case "0396":
			t.special = tsCodingSystm
		case "0104":
			t.special = tsVersion // the source's list stops at 2.6
		}
	}
	actual, _ := hl7Tables.LoadOrStore(id, t)
	return actual.(*tableRef)
}

// userTable returns the user table id (normalized), or nil when the TableSet has none.
func (v *Validator) userTable(id string) *tableRef {
	if v.opts.Tables == nil {
		return nil
	}
	ut, ok := v.opts.Tables.tables[id]
	if !ok {
		return nil
	}
	v.userMu.Lock()
	defer v.userMu.Unlock()
	if t, ok := v.userTables[id]; ok {
		return t
	}
	t := &tableRef{id: id, name: ut.name, user: true, from: ut.source}
	for c := range ut.codes {
		t.codes.add(c)
	}
	t.codes.seal()
	if v.userTables == nil {
		v.userTables = map[string]*tableRef{}
	}
	v.userTables[id] = t
	return t
}

// has reports whether code is in the table.
func (t *tableRef) has(code string, vs *vspec) bool {
	switch t.special {
	case tsValueType:
		return code == "VARIES" || vs.d.DataType(code) != nil
	case tsVersion:
		if slices.Contains(knownVersions(), code) {
			return true
		}
	case tsCodingSystm:
		// Table 0396 lists patterns the source dropped: HL7nnnn (an HL7 table), 99zzz and L
		// (local coding systems), and the numbered families ISOnnnn, IBTnnnn and X12DEnnnn,
		// which the standard also lists written out with a suffix (ISO3166_1, ISO3166_2).
		if code == "L" || strings.HasPrefix(code, "99") || strings.HasPrefix(code, "HL7") && NormalizeTableID(code) != code || numberedFamily(code) {
			return true
		}
	}
	return t.codes.has(code)
}

// numberedFamily reports whether code is one of table 0396's numbered families: ISOnnnn (ISO
// Defined Codes, where nnnn is the ISO table number: ISO4217, ISO639, ISO3166_1), IBTnnnn
// (American Blood Bank Association table nnnn) or X12DEnnnn (ASC X12 code list nnnn): the
// prefix, a digit, then letters, digits or underscores.
func numberedFamily(code string) bool {
	for _, prefix := range []string{"ISO", "IBT", "X12DE"} {
		rest, ok := strings.CutPrefix(code, prefix)
		if !ok || rest == "" || rest[0] < '0' || rest[0] > '9' {
			continue
		}
		for i := 1; i < len(rest); i++ {
			c := rest[i]
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_') {
				return false
			}
		}
		return true
	}
	return false
}

// codeSet is a set of codes. Nearly every HL7 code is at most 8 bytes long: those are kept as
// integers (the bytes, big-endian, zero-padded) in an open-addressing hash table, which finds a
// code with one multiplication and a comparison or two, where a map would hash a string;
// longer codes go to a map.
type codeSet struct {
	short []uint64 // while building: the codes; after seal: the hash table, 0 for empty
	shift uint8
	long  map[string]struct{}
}

// packCode returns code as an integer, and false when it does not fit (or holds a NUL, which
// the padding could not tell apart). No code packs to 0.
func packCode(code string) (uint64, bool) {
	if len(code) > 8 || len(code) == 0 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c == 0 {
			return 0, false
		}
		n = n<<8 | uint64(c)
	}
	return n << (8 * (8 - len(code))), true
}

func (cs *codeSet) add(code string) {
	if n, ok := packCode(code); ok {
		cs.short = append(cs.short, n)
		return
	}
	if cs.long == nil {
		cs.long = map[string]struct{}{}
	}
	cs.long[code] = struct{}{}
}

// seal builds the hash table from the codes added; call it once, after the last add.
func (cs *codeSet) seal() {
	codes := cs.short
	bits := uint8(1)
	for 1<<bits < 2*len(codes) {
		bits++
	}
	cs.short = make([]uint64, 1<<bits)
	cs.shift = 64 - bits
	for _, n := range codes {
		for i := cs.slot(n); ; i = (i + 1) & (len(cs.short) - 1) {
			if cs.short[i] == 0 || cs.short[i] == n {
				cs.short[i] = n
				break
			}
		}
	}
}

func (cs *codeSet) slot(n uint64) int { return int((n * 0x9E3779B97F4A7C15) >> cs.shift) }

func (cs *codeSet) has(code string) bool {
	if n, ok := packCode(code); ok {
		if len(cs.short) == 0 {
			return false
		}
		for i := cs.slot(n); ; i = (i + 1) & (len(cs.short) - 1) {
			switch cs.short[i] {
			case n:
				return true
			case 0:
				return false
			}
		}
	}
	_, ok := cs.long[code]
	return ok
}
