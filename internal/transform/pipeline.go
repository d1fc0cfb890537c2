package transform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/engine"
)

// State is a channel's small key/value store, kept by the engine's message store so that it
// survives restarts and is shared by the nodes of a cluster. Scripts reach it as
// channel.state. Get reports false for a key that was never set.
type State interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, v []byte) error
}

// Deps is what the engine gives a pipeline.
type Deps struct {
	// Logger receives the steps' logs (scripts' log.info, table reloads); nil discards them.
	// It names the channel itself, as the server's per-channel loggers do: the steps add
	// only what is theirs (the script, the table).
	Logger *slog.Logger
	// Channel is the channel's name, for logs and errors.
	Channel string
	// State is the channel's key/value store; nil makes channel.state fail in scripts.
	State State
	// TableDir is the directory relative to which table and script files are found.
	TableDir string
	// Tables, when set, is shared with other pipelines of the channel; nil makes a new set
	// for TableDir.
	Tables *Tables
	// Destinations are the channel's destination names; route steps may only name these.
	// Nil means the pipeline is a destination's: routes are not checked, and FromConfig
	// allows encode steps (a channel stores HL7, so it may not encode).
	Destinations []string
	// Clock is read by now() and scripts' Date; nil means time.Now.
	Clock func() time.Time
	// Location is the zone now() writes times in; nil means the clock's own.
	Location *time.Location
}

// StepError reports a step that failed on a message. Index counts steps from 1, in the
// order they are configured.
type StepError struct {
	Index int
	Kind  string
	Name  string
	Err   error
}

func (e *StepError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("step %d (%s %q): %v", e.Index, e.Kind, e.Name, e.Err)
	}
	return fmt.Sprintf("step %d (%s): %v", e.Index, e.Kind, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// Output is one message the steps produced.
type Output struct {
	Message *hl7.Message
	// Destinations restricts delivery to these destinations (after a route step); nil means
	// every destination.
	Destinations []string
	// Body is the content to send instead of Message's ER7 bytes, after an encode step, with
	// its ContentType (application/json, application/xml).
	Body        []byte
	ContentType string
}

// Outcome is what the steps made of one message.
type Outcome struct {
	Filtered bool
	Reason   string
	Outputs  []Output
}

// Pipeline is a filter and ordered steps: a channel's or a destination's processing. It
// implements engine.Processor and is safe for concurrent use; nothing is compiled per
// message.
type Pipeline struct {
	filter *program
	steps  []Step
	log    *slog.Logger
	deps   Deps
}

var _ engine.Processor = (*Pipeline)(nil)

// NewPipeline compiles filter (an expression; "" lets every message through) and the steps'
// expressions, tables and scripts. Errors are *StepError (Index 0 for the filter) wrapping
// *ExprError, *ScriptError, *TableError or a description.
func NewPipeline(deps Deps, filter string, steps ...Step) (*Pipeline, error) {
	p := &Pipeline{steps: steps, deps: deps, log: deps.Logger}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	c := newCompiler(&deps)
	p.deps.Tables = c.tables
	var errs []error
	if strings.TrimSpace(filter) != "" {
		prog, err := c.compile(filter, exprBool)
		if err != nil {
			errs = append(errs, &StepError{Index: 0, Kind: "filter", Err: err})
		}
		p.filter = prog
	}
	for i, s := range steps {
		if s == nil {
			errs = append(errs, &StepError{Index: i + 1, Kind: "?", Err: errors.New("nil step")})
			continue
		}
		if err := compileStep(c, s, i+1); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

func newCompiler(deps *Deps) *compiler {
	tables := deps.Tables
	if tables == nil {
		tables = NewTables(deps.TableDir)
		log := deps.Logger
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		tables.OnReload = func(name string, err error) {
			if err != nil {
				log.Warn("table file could not be read again; keeping its previous entries", "table", name, "err", err)
				return
			}
			log.Info("table file read again", "table", name)
		}
	}
	return &compiler{tables: tables, clock: deps.Clock, loc: deps.Location, deps: deps}
}

// compileStep compiles a step's condition and its own expressions.
func compileStep(c *compiler, s Step, index int) error {
	b := s.base()
	b.index = index
	b.kind = s.Kind()
	wrap := func(err error) error {
		return &StepError{Index: index, Kind: s.Kind(), Name: b.name, Err: err}
	}
	if strings.TrimSpace(b.when) != "" {
		prog, err := c.compile(b.when, exprBool)
		if err != nil {
			return wrap(fmt.Errorf("when: %w", err))
		}
		b.cond = prog
	}
	if err := s.compile(c); err != nil {
		return wrap(err)
	}
	return nil
}

// Steps returns the pipeline's steps.
func (p *Pipeline) Steps() []Step { return p.steps }

// Tables returns the tables the pipeline's steps read.
func (p *Pipeline) Tables() *Tables { return p.deps.Tables }

// Process implements engine.Processor.
func (p *Pipeline) Process(ctx context.Context, m *hl7.Message) (engine.Result, error) {
	out, err := p.Run(ctx, m)
	if err != nil {
		return engine.Result{}, err
	}
	res := engine.Result{Filtered: out.Filtered, Reason: out.Reason}
	if len(out.Outputs) > 0 {
		res.Outputs = make([]engine.Output, len(out.Outputs))
		for i, o := range out.Outputs {
			res.Outputs[i] = engine.Output{Message: o.Message, Destinations: o.Destinations, Body: o.Body, ContentType: o.ContentType}
		}
	}
	return res, nil
}

// item is one message going through the steps; a split makes several.
type item struct {
	msg    *hl7.Message
	dests  []string
	pinned bool // dests were given by the step that made the message (build's to:): route leaves them
	body   []byte
	ctype  string
	drop   bool
	reason string
	extra  []*item // messages a step added after this one
}

// run is the state of one message's trip through the pipeline.
type run struct {
	ctx   context.Context
	p     *Pipeline
	orig  []byte // the message as it came, for scripts' msg.raw()
	items []*item
	first item // the message Run was given: the pooled run holds it, saving an allocation
	env   exprEnv
	added bool
	// buf is scratch space for results that are compared or copied into the message at once
	// (see formatCall.buf); it stays with the pooled run so that it is allocated once.
	buf []byte
	// arena holds copies of values read from edited segments (see keep); it is not reused.
	arena []byte
	fc    formatCall
}

var runPool = sync.Pool{New: func() any { return new(run) }}

// maxPooledBuf bounds the scratch buffer a pooled run keeps.
const maxPooledBuf = 64 << 10

// Run applies the filter and the steps to m, which it edits. The original bytes (m.Bytes()
// before any step) stay available to scripts as msg.raw().
func (p *Pipeline) Run(ctx context.Context, m *hl7.Message) (Outcome, error) {
	r := runPool.Get().(*run)
	defer func() {
		clear(r.items)
		buf := r.buf[:0]
		if cap(buf) > maxPooledBuf {
			buf = nil // a huge value was formatted once: do not keep its buffer
		}
		*r = run{items: r.items[:0], buf: buf}
		runPool.Put(r)
	}()
	r.ctx, r.p, r.orig = ctx, p, m.Bytes()
	r.env = exprEnv{r: r, msg: m, seg: -1}
	if p.filter != nil {
		ok, err := p.filter.evalBool(&r.env)
		if err != nil {
			return Outcome{}, &StepError{Index: 0, Kind: "filter", Err: err}
		}
		if !ok {
			return Outcome{Filtered: true, Reason: "the filter was false: " + clipExpr(p.filter.src)}, nil
		}
	}
	r.first = item{msg: m}
	r.items = append(r.items[:0], &r.first)
	for _, s := range p.steps {
		if err := r.step(s); err != nil {
			return Outcome{}, err
		}
	}
	var out Outcome
	for _, it := range r.items {
		if it.drop {
			if out.Reason == "" {
				out.Reason = it.reason
			}
			continue
		}
		out.Outputs = append(out.Outputs, Output{Message: it.msg, Destinations: it.dests, Body: it.body, ContentType: it.ctype})
	}
	if len(out.Outputs) == 0 {
		out.Filtered = true
		if out.Reason == "" {
			out.Reason = "no message left after the steps"
		}
	} else {
		out.Reason = ""
	}
	return out, nil
}

func clipExpr(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// step applies s to every message still going.
func (r *run) step(s Step) error {
	n := len(r.items)
	for i := 0; i < n; i++ {
		it := r.items[i]
		if it.drop {
			continue
		}
		if err := r.ctx.Err(); err != nil {
			return err
		}
		if err := r.one(s, it); err != nil {
			return err
		}
	}
	if r.added {
		r.added = false
		items := make([]*item, 0, len(r.items)+2)
		for _, it := range r.items {
			items = append(items, it)
			items = append(items, it.extra...)
			it.extra = nil
		}
		r.items = items
	}
	return nil
}

// one applies s to it if its condition holds.
func (r *run) one(s Step, it *item) error {
	b := s.base()
	if b.cond != nil {
		ok, err := b.cond.evalBool(r.envAt(it, -1, ""))
		if err != nil {
			return &StepError{Index: b.index, Kind: b.kind, Name: b.name, Err: fmt.Errorf("when: %w", err)}
		}
		if !ok {
			return nil
		}
	}
	if err := s.apply(r, it); err != nil {
		return &StepError{Index: b.index, Kind: b.kind, Name: b.name, Err: err}
	}
	return nil
}

// add puts extra after it; the steps that follow apply to it too.
func (r *run) add(it *item, extra ...*item) {
	it.extra = append(it.extra, extra...)
	r.added = true
}

// envAt returns the expression environment for a step working on segment seg of it.
func (r *run) envAt(it *item, seg int, value string) *exprEnv {
	r.env = exprEnv{r: r, msg: it.msg, seg: seg, value: value}
	return &r.env
}

// Step is one transform step. The constructors of this package build them (Set, Copy, Map,
// Script...); a Pipeline compiles and runs them. A step holds no per-message state, so one
// Pipeline runs messages concurrently.
type Step interface {
	// Kind returns the step's kind as it is configured: "set", "map", "script".
	Kind() string
	base() *stepBase
	compile(c *compiler) error
	apply(r *run, it *item) error
}

// stepBase holds what every step has: a name for errors and logs, and a condition.
type stepBase struct {
	name  string
	when  string
	cond  *program
	index int
	kind  string
}

func (b *stepBase) base() *stepBase { return b }

// Named gives s a name, shown in errors and logs, and returns it.
func Named(name string, s Step) Step {
	if s != nil {
		s.base().name = name
	}
	return s
}

// When makes s run only on messages for which the expression cond is true, and returns it.
func When(cond string, s Step) Step {
	if s != nil {
		s.base().when = cond
	}
	return s
}

// contextAfterFunc calls f when the run's context is done, until the returned stop is called.
func contextAfterFunc(r *run, f func()) func() bool { return context.AfterFunc(r.ctx, f) }
