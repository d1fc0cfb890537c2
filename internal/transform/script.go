package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"

	"github.com/courier-hl7/courier/hl7"
)

// Script limits: the defaults, and the most a value of channel.state may hold.
const (
	DefaultScriptTimeout = 100 * time.Millisecond
	DefaultScriptMemory  = 16 << 20
	maxStateValue        = 64 << 10
	maxStateKey          = 200
	maxPathCache         = 512
)

// ScriptOptions configures a script step.
type ScriptOptions struct {
	// Name names the script in errors and logs: its file, or "script".
	Name string
	// Source is the JavaScript. It runs as the body of a strict-mode function, so that its
	// variables do not outlive a message; `return` ends it.
	Source string
	// Timeout bounds one run; zero means DefaultScriptTimeout.
	Timeout time.Duration
	// MaxMemory bounds, per run, the bytes of the strings the API hands to the script or takes
	// from it and of the strings and arrays String.repeat, padStart, padEnd and Array.fill
	// make; zero means DefaultScriptMemory. See docs/transform.md for what it cannot bound.
	MaxMemory int
}

// ScriptError reports a script that does not compile, or that failed while it ran, at its
// 1-based line and column.
type ScriptError struct {
	Script string
	Line   int
	Column int
	Msg    string
}

func (e *ScriptError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("script %s: line %d column %d: %s", e.Script, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("script %s: %s", e.Script, e.Msg)
}

// Sentinels a ScriptError's message is built from, for errors.Is through ScriptRunError.
var (
	ErrScriptTimeout = errors.New("the script ran longer than its time limit")
	ErrScriptMemory  = errors.New("the script went over its memory limit")
)

// scriptRunError is a ScriptError that wraps its cause.
type scriptRunError struct {
	ScriptError
	cause error
}

func (e *scriptRunError) Unwrap() error { return e.cause }

type scriptStep struct {
	stepBase
	o     ScriptOptions
	prog  *goja.Program
	pool  chan *scriptVM
	log   *slog.Logger
	deps  *Deps
	tabls *Tables
}

// wrapper runs the source as a function body: its variables are local to one run, strict
// mode makes assignments to undeclared names errors instead of globals, and return works.
const wrapPrefix = "(function(msg, tables, log, channel) {\"use strict\";\n"

// Script returns a step that runs JavaScript with the API documented in docs/transform.md:
// msg, tables, log and channel. It is compiled now; a syntax error is a *ScriptError.
func Script(o ScriptOptions) (Step, error) {
	if o.Name == "" {
		o.Name = "script"
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultScriptTimeout
	}
	if o.MaxMemory <= 0 {
		o.MaxMemory = DefaultScriptMemory
	}
	if strings.TrimSpace(o.Source) == "" {
		return nil, &ScriptError{Script: o.Name, Msg: "empty script"}
	}
	// parser.ParseFile keeps the positions that goja.Parse flattens into a message.
	tree, err := parser.ParseFile(nil, o.Name, wrapPrefix+o.Source+"\n})", 0)
	if err != nil {
		return nil, compileScriptError(o.Name, err)
	}
	prog, err := goja.CompileAST(tree, false)
	if err != nil {
		return nil, compileScriptError(o.Name, err)
	}
	return &scriptStep{o: o, prog: prog, pool: make(chan *scriptVM, 2*runtime.GOMAXPROCS(0))}, nil
}

func compileScriptError(name string, err error) *ScriptError {
	var list parser.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return &ScriptError{Script: name, Line: list[0].Position.Line - 1, Column: list[0].Position.Column, Msg: list[0].Message}
	}
	var pe *parser.Error
	if errors.As(err, &pe) {
		return &ScriptError{Script: name, Line: pe.Position.Line - 1, Column: pe.Position.Column, Msg: pe.Message}
	}
	var ce *goja.CompilerSyntaxError
	if errors.As(err, &ce) && ce.File != nil {
		pos := ce.File.Position(ce.Offset)
		return &ScriptError{Script: name, Line: pos.Line - 1, Column: pos.Column, Msg: ce.Message}
	}
	return &ScriptError{Script: name, Msg: err.Error()}
}

func (s *scriptStep) Kind() string { return "script" }

func (s *scriptStep) compile(c *compiler) error {
	s.deps = c.deps
	s.tabls = c.tables
	log := slog.New(slog.DiscardHandler)
	if c.deps != nil && c.deps.Logger != nil {
		log = c.deps.Logger
	}
	s.log = log.With("script", s.o.Name)
	// Build one machine now: it proves the script's top level runs, and the pool starts warm.
	vm, err := s.newVM()
	if err != nil {
		return err
	}
	s.pool <- vm
	return nil
}

// scriptVM is one pooled JavaScript runtime with the API bound to whatever message it runs.
type scriptVM struct {
	s        *scriptStep
	rt       *goja.Runtime
	call     goja.Callable
	args     [4]goja.Value
	r        *run
	it       *item
	budget   int
	paths    map[string]hl7.Path
	fields   map[string]hl7.Path // field paths relative to a segment, for segment objects
	segProto *goja.Object
	// handles, segs and objs are the segment objects msg.segments returns. They are made once
	// per machine and segment name and occurrence, and reused from run to run: making thirty
	// objects for the OBX of every message was a fifth of a script's allocations. A reused
	// object carries nothing from one message to the next: it is frozen when it is made (a
	// script cannot give it properties or another prototype), its methods find the segment
	// through its handle, and a handle serves only the run that last returned its object
	// (segHandle.run).
	handles []segHandle
	segs    map[string][]int32 // handles by segment name, in the order of occurrence
	// objs maps segment objects to their handles. Knowing a segment object by its identity
	// saves giving each one a property to hold its handle, and a property lookup per method
	// call.
	objs   map[*goja.Object]int32
	freeze goja.Callable // Object.freeze, as it was before any script ran
	runID  uint64        // counts runs, for segHandle.run
	// lastObj is the segment object a method was last called on, and lastHandle its handle:
	// a script calls get and set on one segment in a row, and this saves looking it up in objs.
	lastObj    *goja.Object
	lastHandle int32
	// recent holds the field paths last parsed by fieldPath, checked before the map: a script
	// reads and writes a handful of fields of each segment.
	recent     [4]fieldEntry
	recentNext int
	// dt is the delimiter table of the message the run edits.
	dt   *delimTable
	strs map[string]goja.Value // table values as JavaScript strings (see tableValue)
	gen  int                   // changes when segments may have moved

	// lookupName, lookupTable and lookupData are the table tables.lookup last read in this
	// run, and its entries as they were at its first lookup in the run: a script that looks
	// up a code for each of 30 OBX finds the table and checks its file for changes once, as
	// a map step does, instead of at every call. putVM forgets them.
	lookupName  string
	lookupTable *Table
	lookupData  *tableData

	// timer interrupts a run that goes over its time limit. It is made once per machine and
	// reset for each run, instead of a timer and two closures per message.
	timer *time.Timer

	mu       sync.Mutex // guards active and deadline against the timer
	active   bool
	deadline time.Time
}

// maxCallDepth caps how deeply a script's calls nest, so that endless recursion fails at once
// instead of growing the stack.
const maxCallDepth = 512

func (s *scriptStep) getVM() (*scriptVM, error) {
	select {
	case vm := <-s.pool:
		return vm, nil
	default:
		return s.newVM()
	}
}

func (s *scriptStep) putVM(vm *scriptVM) {
	vm.r, vm.it = nil, nil
	vm.forgetRun()
	if len(vm.handles) > maxSegObjects {
		// A message with a great many segments: do not keep objects for all of them.
		clear(vm.handles)
		vm.handles = vm.handles[:0]
		clear(vm.objs)
		clear(vm.segs)
		vm.lastObj = nil
	}
	vm.lookupName, vm.lookupTable, vm.lookupData = "", nil, nil
	select {
	case s.pool <- vm:
	default:
	}
}

func (s *scriptStep) newVM() (*scriptVM, error) {
	rt := goja.New()
	rt.SetMaxCallStackSize(maxCallDepth)
	vm := &scriptVM{s: s, rt: rt, paths: map[string]hl7.Path{}, fields: map[string]hl7.Path{}, objs: map[*goja.Object]int32{}, segs: map[string][]int32{}, strs: map[string]goja.Value{}}
	vm.segProto = vm.segmentProto()
	freeze, ok := goja.AssertFunction(rt.GlobalObject().Get("Object").ToObject(rt).Get("freeze"))
	if !ok {
		return nil, errors.New("internal: no Object.freeze")
	}
	vm.freeze = freeze
	vm.timer = time.AfterFunc(time.Hour, vm.timeUp)
	vm.timer.Stop()
	if err := vm.guardBuiltins(); err != nil {
		return nil, err
	}
	if err := vm.replaceParseFloat(); err != nil {
		return nil, err
	}
	v, err := rt.RunProgram(s.prog)
	if err != nil {
		return nil, s.runError(err)
	}
	fn, ok := goja.AssertFunction(v)
	if !ok {
		return nil, &ScriptError{Script: s.o.Name, Msg: "internal: the wrapped script is not a function"}
	}
	vm.call = fn
	vm.args = [4]goja.Value{vm.msgAPI(), vm.tablesAPI(), vm.logAPI(), vm.channelAPI()}
	return vm, nil
}

func (s *scriptStep) apply(r *run, it *item) error {
	vm, err := s.getVM()
	if err != nil {
		return err
	}
	vm.r, vm.it, vm.budget = r, it, s.o.MaxMemory
	vm.dt = tableFor(it.msg.Delimiters())
	vm.runID++
	vm.mu.Lock()
	vm.active = true
	vm.deadline = time.Now().Add(s.o.Timeout)
	vm.mu.Unlock()
	vm.timer.Reset(s.o.Timeout)
	var stopCtx func() bool
	if r.ctx.Done() != nil {
		// The reason is the context's error when the run starts, as it has always been: nil
		// for a live context, so that a run cancelled midway is reported as ErrScriptTimeout.
		reason := r.ctx.Err()
		stopCtx = contextAfterFunc(r, func() {
			vm.mu.Lock()
			if vm.active {
				vm.rt.Interrupt(reason)
			}
			vm.mu.Unlock()
		})
	}
	_, err = vm.call(goja.Undefined(), vm.args[:]...)
	vm.mu.Lock()
	vm.active = false
	vm.mu.Unlock()
	vm.timer.Stop()
	if stopCtx != nil {
		stopCtx()
	}
	vm.rt.ClearInterrupt()
	s.putVM(vm)
	if err != nil {
		return s.runError(err)
	}
	return nil
}

// forgetRun drops the values the run read, kept to hand the same text back as the same string.
func (vm *scriptVM) forgetRun() {
	for i := range vm.recent {
		vm.recent[i].last, vm.recent[i].lastVal = "", nil
	}
}

// timeUp interrupts the run when its time is up. The timer is reused from run to run, and Stop
// does not wait for a call that has already started: a call that comes late, from an earlier
// run whose time ran out as it ended, finds the machine idle or running a later run whose
// deadline is still ahead, and does nothing.
func (vm *scriptVM) timeUp() {
	vm.mu.Lock()
	if vm.active && !time.Now().Before(vm.deadline) {
		vm.rt.Interrupt(ErrScriptTimeout)
	}
	vm.mu.Unlock()
}

// runError turns a goja error into a *ScriptError at the script's own line and column.
func (s *scriptStep) runError(err error) error {
	se := &scriptRunError{ScriptError: ScriptError{Script: s.o.Name}, cause: err}
	var stack []goja.StackFrame
	var ie *goja.InterruptedError
	var so *goja.StackOverflowError
	var ex *goja.Exception
	switch {
	case errors.As(err, &so):
		// goja's error carries no message, only the stack: its Error() is "at f (…)".
		se.Msg = fmt.Sprintf("RangeError: calls nested deeper than %d (a function that calls itself without end?)", maxCallDepth)
		stack = so.Stack()
	case errors.As(err, &ie):
		cause, _ := ie.Value().(error)
		if cause == nil {
			cause = ErrScriptTimeout
		}
		se.cause = cause
		se.Msg = cause.Error()
		if errors.Is(cause, ErrScriptTimeout) {
			se.Msg = fmt.Sprintf("%v (%s)", cause, s.o.Timeout)
		}
		stack = ie.Stack()
	case errors.As(err, &ex):
		se.Msg = ex.Value().String()
		if inner := ex.Unwrap(); inner != nil {
			se.cause = inner
		}
		stack = ex.Stack()
	default:
		se.Msg = err.Error()
	}
	for _, f := range stack {
		if f.SrcName() == s.o.Name {
			pos := f.Position()
			se.Line, se.Column = pos.Line-1, pos.Column
			break
		}
	}
	return se
}

// charge takes n bytes from the run's memory budget; over it, the run stops.
func (vm *scriptVM) charge(n int) {
	vm.budget -= n
	if vm.budget < 0 {
		vm.overBudget()
	}
}

// overBudget stops the run; apart from charge, so that charge is inlined.
func (vm *scriptVM) overBudget() {
	vm.rt.Interrupt(ErrScriptMemory)
	panic(vm.rt.NewGoError(ErrScriptMemory))
}

// str returns s to the script, charged to the budget.
func (vm *scriptVM) str(s string) goja.Value {
	vm.charge(len(s))
	return vm.rt.ToValue(s)
}

func (vm *scriptVM) throw(format string, args ...any) {
	panic(vm.rt.NewGoError(fmt.Errorf(format, args...)))
}

// arg returns argument i as a string, charged to the budget; a missing one is an error.
func (vm *scriptVM) arg(call goja.FunctionCall, i int, name string) string {
	a := call.Argument(i)
	if goja.IsUndefined(a) || goja.IsNull(a) {
		vm.throw("%s is missing", name)
	}
	s := a.String()
	vm.charge(len(s))
	return s
}

// path parses a path, keeping a few hundred parsed paths per machine.
func (vm *scriptVM) path(s string) hl7.Path {
	if p, ok := vm.paths[s]; ok {
		return p
	}
	p, err := hl7.ParsePath(s)
	if err != nil {
		vm.throw("%v", err)
	}
	if len(vm.paths) >= maxPathCache {
		clear(vm.paths)
	}
	vm.paths[s] = p
	return p
}

func (vm *scriptVM) msg() *hl7.Message { return vm.it.msg }

func (vm *scriptVM) fn(f func(call goja.FunctionCall) goja.Value) goja.Value {
	return vm.rt.ToValue(f)
}

func (vm *scriptVM) msgAPI() goja.Value {
	rt := vm.rt
	o := rt.NewObject()
	set := func(name string, f func(call goja.FunctionCall) goja.Value) { _ = o.Set(name, vm.fn(f)) }
	set("get", func(c goja.FunctionCall) goja.Value {
		m := vm.msg()
		return vm.str(vm.dt.text(vm.r, m.ValueAt(vm.path(vm.arg(c, 0, "path")))))
	})
	set("exists", func(c goja.FunctionCall) goja.Value {
		return rt.ToValue(exists(vm.msg().ValueAt(vm.path(vm.arg(c, 0, "path")))))
	})
	set("set", func(c goja.FunctionCall) goja.Value {
		defer vm.edited(vm.msg().NumSegments())
		p := vm.path(vm.arg(c, 0, "path"))
		text := vm.arg(c, 1, "value")
		if p.Field == 0 {
			vm.throw("set %s: a whole segment is set with setRaw", p)
		}
		if err := setText(vm.msg(), -1, p, text); err != nil {
			vm.throw("%v", err)
		}
		return goja.Undefined()
	})
	set("setRaw", func(c goja.FunctionCall) goja.Value {
		defer vm.edited(vm.msg().NumSegments())
		p := vm.path(vm.arg(c, 0, "path"))
		if err := vm.msg().SetRawAt(p, vm.arg(c, 1, "value")); err != nil {
			vm.throw("%v", err)
		}
		return goja.Undefined()
	})
	set("delete", func(c goja.FunctionCall) goja.Value {
		m := vm.msg()
		defer vm.edited(m.NumSegments())
		p := vm.path(vm.arg(c, 0, "path"))
		seg := -1
		if p.Field > 0 {
			seg = segPos(m, p.Segment, p.Occurrence)
		}
		if err := deleteAt(m, seg, p); err != nil {
			vm.throw("%v", err)
		}
		return goja.Undefined()
	})
	set("count", func(c goja.FunctionCall) goja.Value {
		t, err := parseCount(vm.arg(c, 0, "segment name or path"))
		if err != nil {
			vm.throw("%v", err)
		}
		return rt.ToValue(countOf(vm.msg(), t))
	})
	set("values", func(c goja.FunctionCall) goja.Value {
		t, err := parseTarget(vm.arg(c, 0, "path"))
		if err != nil {
			vm.throw("%v", err)
		}
		vs := values(vm.msg(), t)
		vm.charge(16 * len(vs))
		for _, v := range vs {
			vm.charge(len(v.(string)))
		}
		return rt.ToValue(vs)
	})
	set("segments", func(c goja.FunctionCall) goja.Value {
		name := vm.arg(c, 0, "segment name")
		if !isSegmentName(name) {
			vm.throw("%q is not a segment name", name)
		}
		m := vm.msg()
		out := make([]any, 0, m.Count(name))
		ids := vm.segs[name]
		n := len(ids)
		for pos, seg := range m.Segments() {
			if named(seg, name) {
				var o *goja.Object
				o, ids = vm.segmentObject(ids, len(out), name, pos)
				out = append(out, o)
			}
		}
		if len(ids) != n {
			vm.segs[name] = ids
		}
		vm.charge(64 * len(out))
		return rt.ToValue(out)
	})
	set("addSegment", func(c goja.FunctionCall) goja.Value {
		defer vm.edited(vm.msg().NumSegments())
		text := vm.arg(c, 0, "segment")
		m := vm.msg()
		at := m.NumSegments()
		if a := c.Argument(1); !goja.IsUndefined(a) {
			p := vm.path(a.String())
			i := segPos(m, p.Segment, p.Occurrence)
			if i < 0 {
				vm.throw("addSegment: no %s segment to add after", p)
			}
			at = i + 1
		}
		if err := m.InsertSegment(at, text); err != nil {
			vm.throw("addSegment: %v", err)
		}
		return goja.Undefined()
	})
	set("removeSegment", func(c goja.FunctionCall) goja.Value {
		defer vm.edited(vm.msg().NumSegments())
		p := vm.path(vm.arg(c, 0, "segment"))
		if p.Field != 0 {
			vm.throw("removeSegment %s: name a segment (ZPI, OBX[2])", p)
		}
		if i := segPos(vm.msg(), p.Segment, p.Occurrence); i > 0 {
			vm.msg().RemoveSegment(i)
		}
		return goja.Undefined()
	})
	set("raw", func(c goja.FunctionCall) goja.Value { return vm.str(string(vm.r.orig)) })
	set("toString", func(c goja.FunctionCall) goja.Value { return vm.str(string(vm.msg().Text())) })
	set("filter", func(c goja.FunctionCall) goja.Value {
		reason := "the script filtered the message"
		if a := c.Argument(0); !goja.IsUndefined(a) {
			reason = "script: " + clipExpr(a.String())
		}
		vm.it.drop, vm.it.reason = true, reason
		return goja.Undefined()
	})
	set("route", func(c goja.FunctionCall) goja.Value {
		names, ok := stringList(c.Argument(0))
		if !ok {
			if err := rt.ExportTo(c.Argument(0), &names); err != nil {
				vm.throw("route: give a list of destination names")
			}
		}
		if d := vm.s.deps; d != nil && d.Destinations != nil {
			for _, n := range names {
				if !containsString(d.Destinations, n) {
					vm.throw("route: no destination %q in this channel", n)
				}
			}
		}
		vm.it.dests = append([]string{}, names...)
		return goja.Undefined()
	})
	return o
}

// stringList returns the strings of v when it is an array of strings, what route is nearly
// always given, without the reflection of ExportTo; false for anything else.
func stringList(v goja.Value) ([]string, bool) {
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		return nil, false
	}
	n := o.Get("length").ToInteger()
	if n > 1000 {
		return nil, false
	}
	names := make([]string, n)
	for i := range names {
		s, ok := o.Get(strconv.Itoa(i)).(goja.String)
		if !ok {
			return nil, false
		}
		names[i] = s.String()
	}
	return names, true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// maxSegObjects bounds the segment objects a machine keeps from run to run.
const maxSegObjects = 1024

// segHandle is what a segment object stands for: a segment by name and occurrence, with its
// position cached while the message's segments do not move.
type segHandle struct {
	name string
	occ  int
	pos  int
	gen  int
	run  uint64 // the run that last returned the object: in any other, it is no segment
	obj  *goja.Object
}

// segmentObject returns the object for occurrence k+1 of segment name, at position pos,
// bound to this run. ids are the handles of name's objects by occurrence; a new object is
// appended to them. Its methods and its name and index come from one prototype per machine, so
// that a segment is one small object; vm.objs knows which handle it stands for.
func (vm *scriptVM) segmentObject(ids []int32, k int, name string, pos int) (*goja.Object, []int32) {
	if k < len(ids) {
		h := &vm.handles[ids[k]]
		h.pos, h.gen, h.run = pos, vm.gen, vm.runID
		return h.obj, ids
	}
	o := vm.rt.CreateObject(vm.segProto)
	if _, err := vm.freeze(goja.Undefined(), o); err != nil {
		vm.throw("%v", err)
	}
	vm.handles = append(vm.handles, segHandle{name: name, occ: k + 1, pos: pos, gen: vm.gen, run: vm.runID, obj: o})
	i := int32(len(vm.handles) - 1)
	vm.objs[o] = i
	return o, append(ids, i)
}

// handle returns the segment a method was called on, and its current position (-1 when the
// segment is no longer in the message).
func (vm *scriptVM) handle(c goja.FunctionCall) (*segHandle, int) {
	o, _ := c.This.(*goja.Object)
	i, ok := vm.lastHandle, o != nil && o == vm.lastObj
	if !ok {
		i, ok = vm.objs[c.This.ToObject(vm.rt)]
		if ok {
			vm.lastObj, vm.lastHandle = o, i
		}
	}
	if !ok || vm.handles[i].run != vm.runID {
		vm.throw("not a segment of this message")
	}
	h := &vm.handles[i]
	if h.gen != vm.gen {
		h.pos, h.gen = segPos(vm.msg(), h.name, h.occ), vm.gen
	}
	return h, h.pos
}

// fieldEntry is a field path as a script wrote it and parsed, and the value a segment's get
// last returned for it in this run.
type fieldEntry struct {
	text string
	p    hl7.Path
	// last and lastVal are that value as text and as the script's string. A loop over the OBX
	// of a result reads the same text from one segment after another (OBX-14, the time of the
	// observation; units; flags): get compares the value's bytes with last and hands back
	// lastVal instead of copying the text and making a string again. Only text that needed no
	// decoding is kept (its text is its bytes), so that equal bytes mean equal text. Both are
	// cleared when the run ends (forgetRun): nothing is kept from one message for the next.
	last    string
	lastVal goja.Value
}

// fieldPath reads a field path relative to a segment ("3.1", "5[2]"), keeping parsed ones.
// The path it returns is valid until its next call.
func (vm *scriptVM) fieldPath(f string) *hl7.Path { return &vm.field(f).p }

// field is fieldPath with the cache entry, valid until the next call.
func (vm *scriptVM) field(f string) *fieldEntry {
	for i := range vm.recent {
		// A script passes the same constant again and again: the same bytes, compared first.
		if e := &vm.recent[i]; len(e.text) == len(f) && f != "" && (unsafe.StringData(e.text) == unsafe.StringData(f) || e.text == f) {
			return e
		}
	}
	p, ok := vm.fields[f]
	if !ok {
		var err error
		if p, err = hl7.ParsePath("SEG-" + f); err != nil {
			vm.throw("%v", err)
		}
		if len(vm.fields) >= maxPathCache {
			clear(vm.fields)
		}
		vm.fields[f] = p
	}
	e := &vm.recent[vm.recentNext]
	*e = fieldEntry{text: f, p: p}
	vm.recentNext = (vm.recentNext + 1) % len(vm.recent)
	return e
}

// edited notes a change that may have moved segments (one added or removed), so that cached
// positions are looked up again.
func (vm *scriptVM) edited(before int) {
	if vm.msg().NumSegments() != before {
		vm.gen++
	}
}

// segmentProto builds the methods of segment objects: get, set, setRaw, delete, toString.
func (vm *scriptVM) segmentProto() *goja.Object {
	rt := vm.rt
	proto := rt.NewObject()
	fieldPath := func(c goja.FunctionCall) (hl7.Path, int) {
		h, pos := vm.handle(c)
		p := *vm.fieldPath(vm.arg(c, 0, "field"))
		p.Segment, p.Occurrence = h.name, h.occ
		return p, pos
	}
	_ = proto.DefineAccessorProperty("name", rt.ToValue(func(c goja.FunctionCall) goja.Value {
		h, _ := vm.handle(c)
		return rt.ToValue(h.name)
	}), nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
	_ = proto.DefineAccessorProperty("index", rt.ToValue(func(c goja.FunctionCall) goja.Value {
		h, _ := vm.handle(c)
		return rt.ToValue(h.occ)
	}), nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
	// get, set and setRaw read and write the segment at its known position (Segment.Value,
	// SetRaw) instead of finding "OBX[k]" from the start of the message at each call, which
	// made a loop over the OBX quadratic. A segment no longer in the message (position -1)
	// reads empty and is written by name and occurrence, which creates it, as before; that
	// may add a segment, so cached positions are then looked up again.
	_ = proto.Set("get", func(c goja.FunctionCall) goja.Value {
		// fieldPath without naming the segment: Segment.Value reads the field and below.
		_, pos := vm.handle(c)
		e := vm.field(vm.arg(c, 0, "field"))
		if pos < 0 {
			return vm.str("")
		}
		v := vm.msg().Segment(pos).Value(e.p)
		raw := v.Raw()
		if e.lastVal != nil && string(raw) == e.last {
			vm.charge(len(e.last))
			return e.lastVal
		}
		t, plain := vm.dt.textPlain(vm.r, v)
		val := vm.str(t)
		if plain {
			e.last, e.lastVal = t, val
		}
		return val
	})
	_ = proto.Set("set", func(c goja.FunctionCall) goja.Value {
		p, pos := fieldPath(c)
		text := vm.arg(c, 1, "value")
		if pos < 0 {
			defer vm.edited(vm.msg().NumSegments())
		}
		if err := setText(vm.msg(), pos, p, text); err != nil {
			vm.throw("%v", err)
		}
		return goja.Undefined()
	})
	_ = proto.Set("setRaw", func(c goja.FunctionCall) goja.Value {
		p, pos := fieldPath(c)
		raw := vm.arg(c, 1, "value")
		if pos < 0 {
			defer vm.edited(vm.msg().NumSegments())
		}
		if err := setRaw(vm.msg(), pos, p, raw); err != nil {
			vm.throw("%v", err)
		}
		return goja.Undefined()
	})
	_ = proto.Set("delete", func(c goja.FunctionCall) goja.Value {
		p, pos := fieldPath(c)
		if err := deleteAt(vm.msg(), pos, p); err != nil {
			vm.throw("%v", err)
		}
		return goja.Undefined()
	})
	_ = proto.Set("toString", func(c goja.FunctionCall) goja.Value {
		_, pos := vm.handle(c)
		if pos < 0 {
			return vm.str("")
		}
		return vm.str(vm.msg().Segment(pos).String())
	})
	return proto
}

func (vm *scriptVM) tablesAPI() goja.Value {
	rt := vm.rt
	o := rt.NewObject()
	_ = o.Set("lookup", func(c goja.FunctionCall) goja.Value {
		name, key := vm.arg(c, 0, "table"), vm.arg(c, 1, "key")
		if vm.s.tabls == nil {
			vm.throw("no tables are defined")
		}
		if name != vm.lookupName || vm.lookupTable == nil {
			t, err := vm.s.tabls.Table(name)
			if err != nil {
				vm.throw("%v", err)
			}
			vm.lookupName, vm.lookupTable, vm.lookupData = name, t, t.entries()
		}
		v, ok := vm.lookupData.get(vm.lookupTable, key)
		if !ok {
			if d := c.Argument(2); !goja.IsUndefined(d) {
				return d
			}
			return goja.Undefined()
		}
		return vm.tableValue(v)
	})
	return o
}

func (vm *scriptVM) logAPI() goja.Value {
	rt := vm.rt
	o := rt.NewObject()
	for _, lv := range []struct {
		name  string
		level slog.Level
	}{{"debug", slog.LevelDebug}, {"info", slog.LevelInfo}, {"warn", slog.LevelWarn}, {"error", slog.LevelError}} {
		_ = o.Set(lv.name, func(c goja.FunctionCall) goja.Value {
			msg := vm.arg(c, 0, "message")
			var attrs []any
			for i := 1; i+1 < len(c.Arguments); i += 2 {
				attrs = append(attrs, c.Arguments[i].String(), c.Arguments[i+1].Export())
			}
			vm.s.log.Log(vm.r.ctx, lv.level, msg, attrs...)
			return goja.Undefined()
		})
	}
	return o
}

func (vm *scriptVM) channelAPI() goja.Value {
	rt := vm.rt
	o := rt.NewObject()
	name := ""
	if vm.s.deps != nil {
		name = vm.s.deps.Channel
	}
	_ = o.Set("name", name)
	state := rt.NewObject()
	st := func() State {
		if vm.s.deps == nil || vm.s.deps.State == nil {
			vm.throw("channel.state is not available here")
		}
		return vm.s.deps.State
	}
	key := func(c goja.FunctionCall) string {
		k := vm.arg(c, 0, "key")
		if k == "" || len(k) > maxStateKey {
			vm.throw("channel.state keys are 1 to %d characters", maxStateKey)
		}
		return k
	}
	_ = state.Set("get", func(c goja.FunctionCall) goja.Value {
		k := key(c)
		b, ok, err := st().Get(vm.r.ctx, k)
		if err != nil {
			vm.throw("channel.state.get %q: %v", k, err)
		}
		if !ok {
			return goja.Undefined()
		}
		vm.charge(2 * len(b))
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			vm.throw("channel.state.get %q: stored value is not JSON: %v", k, err)
		}
		return rt.ToValue(v)
	})
	_ = state.Set("set", func(c goja.FunctionCall) goja.Value {
		k := key(c)
		b, err := json.Marshal(c.Argument(1).Export())
		if err != nil {
			vm.throw("channel.state.set %q: %v", k, err)
		}
		if len(b) > maxStateValue {
			vm.throw("channel.state.set %q: %d bytes of JSON, the limit is %d", k, len(b), maxStateValue)
		}
		if err := st().Set(vm.r.ctx, k, b); err != nil {
			vm.throw("channel.state.set %q: %v", k, err)
		}
		return goja.Undefined()
	})
	_ = o.Set("state", state)
	return o
}

// guardBuiltins wraps the built-ins that make large strings or arrays from small arguments,
// so that "x".repeat(1e9) fails at once instead of exhausting memory.
func (vm *scriptVM) guardBuiltins() error {
	limit := func(c goja.FunctionCall) goja.Value {
		n := c.Argument(0).ToFloat()
		if n != n || n < 0 {
			return goja.Undefined()
		}
		if n > float64(vm.budget) {
			vm.rt.Interrupt(ErrScriptMemory)
			panic(vm.rt.NewGoError(ErrScriptMemory))
		}
		vm.charge(int(n))
		return goja.Undefined()
	}
	const prelude = `(function(limit) {
	"use strict";
	var S = String.prototype, A = Array.prototype;
	var repeat = S.repeat, padStart = S.padStart, padEnd = S.padEnd, fill = A.fill, join = A.join;
	function def(o, name, f) { Object.defineProperty(o, name, {value: f, writable: true, configurable: true}); }
	def(S, "repeat", function(n) { limit(String(this).length * Number(n)); return repeat.call(this, n); });
	def(S, "padStart", function(n, s) { limit(Number(n)); return padStart.call(this, n, s); });
	def(S, "padEnd", function(n, s) { limit(Number(n)); return padEnd.call(this, n, s); });
	def(A, "fill", function(v, a, b) { limit(8 * Number(this.length)); return fill.call(this, v, a, b); });
	// join runs natively, where the time limit cannot stop it: new Array(1e8).join("xx")
	// would build gigabytes. The separators and the string elements are counted first, in a
	// loop the time limit does stop.
	def(A, "join", function(sep) {
		var n = Number(this.length) >>> 0, s = sep === undefined ? "," : String(sep);
		var size = n > 0 ? (n - 1) * s.length : 0;
		limit(size);
		for (var i = 0; i < n; i++) { var e = this[i]; if (typeof e === "string") size += e.length; }
		limit(size - (n > 0 ? (n - 1) * s.length : 0));
		return join.call(this, sep);
	});
	// replace and replaceAll run natively too: "x".repeat(1e5).replaceAll("", "y".repeat(1e4))
	// would ask for a gigabyte at once and end the process. What the replacements add is
	// counted first: each match adds the replacement, plus at most the match for each $ in
	// it, or twice the whole string when it inserts the text before or after the match. A replacement function returns strings the
	// script builds, under the time limit.
	var replace = S.replace, replaceAll = S.replaceAll;
	function added(str, pat, r, all) {
		var dollars = r.split("$").length - 1, whole = r.indexOf("$\u0060") >= 0 || r.indexOf("$'") >= 0;
		function one(matchLen) { return r.length + (whole ? 2 * str.length : dollars * matchLen); }
		var size = 0, m;
		if (pat instanceof RegExp) {
			if (!pat.global) {
				m = pat.exec(str);
				pat.lastIndex = 0;
				return m === null ? 0 : one(m[0].length);
			}
			var re = new RegExp(pat.source, pat.flags);
			while ((m = re.exec(str)) !== null) {
				size += one(m[0].length);
				if (m[0].length === 0) re.lastIndex++;
			}
			return size;
		}
		var p = String(pat);
		if (!all) return str.indexOf(p) >= 0 ? one(p.length) : 0;
		if (p.length === 0) return (str.length + 1) * one(0);
		for (var i = str.indexOf(p); i >= 0; i = str.indexOf(p, i + p.length)) size += one(p.length);
		return size;
	}
	function guarded(orig, all) {
		return function(p, r) {
			// Nothing to count for an empty replacement (the usual clean-up) or a function.
			if (typeof r !== "function" && (r = String(r)).length > 0) limit(added(String(this), p, r, all));
			return orig.call(this, p, r);
		};
	}
	def(S, "replace", guarded(replace, false));
	def(S, "replaceAll", guarded(replaceAll, true));
	// JSON.stringify of a large structure is written natively at once: its size is counted
	// first (strings, and a few bytes per value and key), down to 64 levels.
	var stringify = JSON.stringify;
	function jsonSize(v, depth) {
		if (typeof v === "string") return v.length + 2;
		if (v === null || typeof v !== "object" || depth > 64) return 8;
		var n = 2, k;
		if (Array.isArray(v)) {
			for (k = 0; k < v.length; k++) n += 1 + jsonSize(v[k], depth + 1);
			return n;
		}
		for (k in v) if (Object.prototype.hasOwnProperty.call(v, k)) n += k.length + 4 + jsonSize(v[k], depth + 1);
		return n;
	}
	def(JSON, "stringify", function(v, replacer, space) {
		var indent = typeof space === "number" ? Math.min(space, 10) : (typeof space === "string" ? Math.min(space.length, 10) : 0);
		limit(jsonSize(v, 0) * (1 + indent));
		return stringify.call(JSON, v, replacer, space);
	});
})`
	v, err := vm.rt.RunString(prelude)
	if err != nil {
		return err
	}
	f, _ := goja.AssertFunction(v)
	_, err = f(goja.Undefined(), vm.rt.ToValue(limit))
	return err
}
