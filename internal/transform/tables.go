package transform

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TableDef defines a lookup table: a CSV file, or values given inline.
type TableDef struct {
	// File is a CSV file with a header row, relative to the table directory. It is read when
	// the table is defined and read again when it changes (see Tables).
	File string
	// From and To name the key and value columns; empty means the first and the second.
	From, To string
	// Values are the entries of an inline table.
	Values map[string]string
	// IgnoreCase matches keys without regard to case.
	IgnoreCase bool
}

// TableError reports a problem in a table's CSV file, with its line like csv.ParseError.
type TableError struct {
	Table string
	File  string
	Line  int // 1-based; 0 when the problem is not on one line
	Msg   string
	Err   error
}

func (e *TableError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table %q", e.Table)
	if e.File != "" {
		fmt.Fprintf(&b, " (%s", e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		if e.Msg != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *TableError) Unwrap() error { return e.Err }

// ErrNoTable means a step or an expression names a table that is not defined.
var ErrNoTable = errors.New("no such table")

// Tables holds the lookup tables of a channel. A CSV table is checked for changes when it is
// used, at most once per CheckEvery, and read again when its size or modification time
// changed, so that editing the file changes the mapping without a restart. If the new file
// cannot be read the table keeps its previous entries and the problem is logged. Tables is
// safe for concurrent use.
type Tables struct {
	dir string
	// CheckEvery is how often a file is checked for changes; zero means one second.
	CheckEvery time.Duration
	// OnReload, when set, is called after a file was read again, or failed to be.
	OnReload func(table string, err error)

	mu     sync.RWMutex
	tables map[string]*Table
}

// NewTables returns an empty set of tables whose files are found under dir.
func NewTables(dir string) *Tables {
	return &Tables{dir: dir, tables: map[string]*Table{}}
}

// Table is one lookup table.
type Table struct {
	name string
	def  TableDef
	path string // the file, resolved
	set  *Tables

	data      atomic.Pointer[tableData]
	lastCheck atomic.Int64 // unix nanoseconds
	reload    sync.Mutex
}

type tableData struct {
	entries map[string]string
	size    int64
	mod     time.Time
}

// Define adds a table. A CSV file is read now, so that a missing or malformed file is a
// configuration error rather than a failure at the first message.
func (ts *Tables) Define(name string, def TableDef) error {
	if name == "" {
		return errors.New("a table needs a name")
	}
	if (def.File == "") == (def.Values == nil) {
		return &TableError{Table: name, Msg: "give either a file or values"}
	}
	t := &Table{name: name, def: def, set: ts}
	if def.File != "" {
		t.path = def.File
		if !filepath.IsAbs(t.path) {
			t.path = filepath.Join(ts.dir, t.path)
		}
		d, err := t.read()
		if err != nil {
			return err
		}
		t.data.Store(d)
		t.lastCheck.Store(time.Now().UnixNano())
	} else {
		d := &tableData{entries: make(map[string]string, len(def.Values))}
		for k, v := range def.Values {
			d.entries[t.key(k)] = v
		}
		t.data.Store(d)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if _, dup := ts.tables[name]; dup {
		return &TableError{Table: name, Msg: "defined twice"}
	}
	ts.tables[name] = t
	return nil
}

// Table returns the table name. A name that is not defined but ends in .csv is the CSV file
// of that name in the table directory, with its first two columns, defined on first use.
func (ts *Tables) Table(name string) (*Table, error) {
	ts.mu.RLock()
	t := ts.tables[name]
	ts.mu.RUnlock()
	if t != nil {
		return t, nil
	}
	if strings.HasSuffix(strings.ToLower(name), ".csv") {
		err := ts.Define(name, TableDef{File: name})
		if err != nil {
			var te *TableError
			if errors.As(err, &te) && te.Msg == "defined twice" {
				return ts.Table(name)
			}
			return nil, err
		}
		return ts.Table(name)
	}
	return nil, fmt.Errorf("%w %q (define it under tables:, or name a .csv file in %s)", ErrNoTable, name, ts.dirName())
}

func (ts *Tables) dirName() string {
	if ts.dir == "" {
		return "the working directory"
	}
	return ts.dir
}

// Lookup returns the value of key in table name, and whether the key is there.
func (ts *Tables) Lookup(name, key string) (string, bool, error) {
	t, err := ts.Table(name)
	if err != nil {
		return "", false, err
	}
	v, ok := t.Lookup(key)
	return v, ok, nil
}

// Name returns the table's name.
func (t *Table) Name() string { return t.name }

// Lookup returns the value of key, and whether the key is there.
func (t *Table) Lookup(key string) (string, bool) {
	if t.path != "" {
		t.maybeReload()
	}
	return t.data.Load().get(t, key)
}

// entries returns the entries as they are now, after checking the file for changes: a step
// that looks up many values takes them once.
func (t *Table) entries() *tableData {
	if t.path != "" {
		t.maybeReload()
	}
	return t.data.Load()
}

func (d *tableData) get(t *Table, key string) (string, bool) {
	v, ok := d.entries[t.key(key)]
	return v, ok
}

// Len returns the number of entries.
func (t *Table) Len() int { return len(t.data.Load().entries) }

func (t *Table) key(k string) string {
	if t.def.IgnoreCase {
		return strings.ToUpper(k)
	}
	return k
}

// maybeReload reads the file again when it changed; one goroutine checks at a time and the
// others go on with the entries they have.
func (t *Table) maybeReload() {
	every := t.set.CheckEvery
	if every <= 0 {
		every = time.Second
	}
	now := time.Now().UnixNano()
	last := t.lastCheck.Load()
	if now-last < int64(every) || !t.lastCheck.CompareAndSwap(last, now) {
		return
	}
	if !t.reload.TryLock() {
		return
	}
	defer t.reload.Unlock()
	st, err := os.Stat(t.path)
	cur := t.data.Load()
	if err == nil && st.Size() == cur.size && st.ModTime().Equal(cur.mod) {
		return
	}
	if err != nil {
		t.reloaded(&TableError{Table: t.name, File: t.def.File, Msg: "check for changes", Err: err})
		return
	}
	d, err := t.read()
	if err != nil {
		t.reloaded(err)
		return
	}
	t.data.Store(d)
	t.reloaded(nil)
}

func (t *Table) reloaded(err error) {
	if f := t.set.OnReload; f != nil {
		f(t.name, err)
	}
}

// maxTableSize bounds a table file: a code table of a million rows is a few tens of MB.
const maxTableSize = 256 << 20

// read reads the CSV file.
func (t *Table) read() (*tableData, error) {
	fail := func(line int, msg string, err error) error {
		return &TableError{Table: t.name, File: t.def.File, Line: line, Msg: msg, Err: err}
	}
	f, err := os.Open(t.path)
	if err != nil {
		return nil, fail(0, "open", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fail(0, "stat", err)
	}
	if st.Size() > maxTableSize {
		return nil, fail(0, fmt.Sprintf("the file is %d bytes, more than the %d a table may have", st.Size(), maxTableSize), nil)
	}
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, fail(1, "the file is empty; it needs a header row (from,to)", nil)
	}
	if err != nil {
		return nil, csvError(t, err)
	}
	header = append([]string(nil), header...)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	col := func(name string, def int) (int, error) {
		if name == "" {
			if def >= len(header) {
				return 0, fail(1, fmt.Sprintf("the header has %d column(s); a table needs two", len(header)), nil)
			}
			return def, nil
		}
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), name) {
				return i, nil
			}
		}
		return 0, fail(1, fmt.Sprintf("no column %q in the header (%s)", name, strings.Join(header, ",")), nil)
	}
	from, err := col(t.def.From, 0)
	if err != nil {
		return nil, err
	}
	to, err := col(t.def.To, 1)
	if err != nil {
		return nil, err
	}
	d := &tableData{entries: map[string]string{}, size: st.Size(), mod: st.ModTime()}
	first := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(t, err)
		}
		line, _ := r.FieldPos(0)
		if max(from, to) >= len(rec) {
			return nil, fail(line, fmt.Sprintf("%d column(s), the table reads column %d", len(rec), max(from, to)+1), nil)
		}
		k := t.key(strings.TrimSpace(rec[from]))
		if prev, dup := first[k]; dup {
			return nil, fail(line, fmt.Sprintf("key %q is already on line %d", clipText(rec[from]), prev), nil)
		}
		first[k] = line
		d.entries[k] = strings.TrimSpace(rec[to])
	}
	return d, nil
}

func csvError(t *Table, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &TableError{Table: t.name, File: t.def.File, Line: pe.Line, Msg: "CSV", Err: pe.Err}
	}
	return &TableError{Table: t.name, File: t.def.File, Msg: "read", Err: err}
}
