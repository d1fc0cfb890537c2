package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/engine"
	"github.com/courier-hl7/courier/internal/store"
	"github.com/courier-hl7/courier/internal/transform"
	"github.com/courier-hl7/courier/validate"
)

// Settings are the server and store settings of a configuration.
type Settings struct {
	NodeID          string
	DataDir         string
	LogLevel        slog.Level
	LogFormat       string
	MetricsListen   string
	ShutdownTimeout time.Duration
	StoreDriver     string
	StorePath       string
	PruneContent    time.Duration
	DeleteAfter     time.Duration
}

// Plan is a configuration made ready to run: settings and channels with their connectors
// constructed (not started).
type Plan struct {
	File     string // the configuration file, or "" for the embedded default
	Settings Settings
	Channels []engine.ChannelConfig
	Disabled []string
	// Logger writes where the configuration says (level, format) to LoadOptions.Logs.
	Logger *slog.Logger
}

// LoadOptions say where a configuration comes from and what it may use.
type LoadOptions struct {
	File string // courier.yaml; empty means the embedded default
	Env  *connector.Env
	// Logs is where the logger built from the configuration writes (nil: nowhere).
	Logs io.Writer
	// Receiver finds channels at run time, for channel destinations.
	Receiver func(string) (connector.Receiver, bool)
	// Store returns the store at run time, for scripts' channel state (nil before it is
	// open: lint and tests run without one).
	Store func() store.Store
	// LookupEnv reads environment variables (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
}

// Load reads, checks and builds a configuration. Every problem is reported at once in a
// config.Errors with file:line:col. Connectors are constructed but not started: Load has no
// side effects beyond reading files, so `courier lint` uses it too.
func Load(opts LoadOptions) (*Plan, error) {
	if opts.Env == nil {
		opts.Env = connector.Global()
	}
	name, data := "(default configuration)", []byte(defaultConfig)
	baseDir := "."
	if opts.File != "" {
		var err error
		if data, err = os.ReadFile(opts.File); err != nil {
			return nil, fmt.Errorf("read configuration: %w", err)
		}
		name, baseDir = opts.File, filepath.Dir(opts.File)
	}
	root, err := config.Decode(name, data, RootSpec(), opts.Env.Specs(), opts.LookupEnv)
	// With problems in the file, the channels without any are still built, so that their
	// own problems (a bad path, a reference to a channel that does not exist) are reported
	// with the others in one go.
	decodeErrs := config.AsErrors(err)
	if err != nil && (root == nil || decodeErrs == nil) {
		return nil, err
	}
	p := &Plan{File: opts.File}
	errs := slices.Clone(decodeErrs)
	p.Settings = settings(root, baseDir)
	p.Logger = slog.New(slog.DiscardHandler)
	if opts.Logs != nil {
		p.Logger = newLogger(opts.Logs, p.Settings)
	}
	seen := map[string]bool{}
	channels := root.List(keyChannels)
	names := map[string]bool{}
	for _, ch := range channels {
		names[ch.String(keyName)] = true
	}
	for i, ch := range channels {
		name := ch.String(keyName)
		if decodeErrs.ErrorsUnder(fmt.Sprintf("%s[%d]", keyChannels, i)) {
			continue // reported; building it would only add problems that follow from those
		}
		if seen[name] {
			errs = append(errs, ch.Errorf(keyName, "channel %q is defined twice", name))
			continue
		}
		seen[name] = true
		if !ch.Bool(keyEnabled) {
			p.Disabled = append(p.Disabled, name)
			continue
		}
		cfg, cerrs := buildChannel(ch, names, opts, p.Logger, baseDir, p.Settings.DataDir)
		errs = append(errs, cerrs...)
		p.Channels = append(p.Channels, cfg)
	}
	if err := errs.Err(); err != nil {
		closePlan(p)
		return nil, err
	}
	return p, nil
}

func settings(root *config.Node, baseDir string) Settings {
	srv, st := root.Object(keyServer), root.Object(keyStore)
	s := Settings{
		NodeID:          srv.String(keyNodeID),
		DataDir:         srv.String(keyDataDir),
		LogFormat:       srv.Object(keyLog).String(keyFormat),
		MetricsListen:   srv.String(keyMetrics),
		ShutdownTimeout: srv.Duration(keyShutdown),
		StoreDriver:     st.String(keyDriver),
		StorePath:       st.String(keyPath),
		PruneContent:    st.Duration(keyPruneContent),
		DeleteAfter:     st.Duration(keyDeleteAfter),
	}
	_ = s.LogLevel.UnmarshalText([]byte(srv.Object(keyLog).String(keyLevel)))
	if srv.Has(keyDataDir) && !filepath.IsAbs(s.DataDir) {
		s.DataDir = filepath.Join(baseDir, s.DataDir)
	}
	if s.StorePath == "" {
		s.StorePath = filepath.Join(s.DataDir, "courier.db")
	} else if !filepath.IsAbs(s.StorePath) {
		s.StorePath = filepath.Join(baseDir, s.StorePath)
	}
	return s
}

// buildChannel constructs one channel's connectors and settings.
func buildChannel(ch *config.Node, channels map[string]bool, opts LoadOptions, logger *slog.Logger, baseDir, dataDir string) (engine.ChannelConfig, config.Errors) {
	var errs config.Errors
	name := ch.String(keyName)
	log := logger.With("channel", name)
	cfg := engine.ChannelConfig{
		Name:         name,
		AckTimeout:   ch.Duration(keyAckTimeout),
		DedupeWindow: ch.Duration(keyDedupe),
		Version:      version(ch),
	}
	cfg.AckMode, _ = engine.ParseAckMode(ch.String(keyAck))
	cfg.Parser = hl7.Parser{Charset: ch.String(keyCharset), MaxSize: int(ch.Size(keyMaxSize))}
	switch ch.String(keyTerminators) {
	case "cr":
		cfg.Parser.Terminators = hl7.TerminatorsCR
	case "any":
		cfg.Parser.Terminators = hl7.TerminatorsAny
	}
	if cs := cfg.Parser.Charset; cs != "" && !hl7.SupportedCharset(cs) {
		errs = append(errs, ch.Errorf(keyCharset, "character set %q is not supported (use an HL7 table 0211 value such as 8859/1 or UNICODE UTF-8, or an IANA name)", cs))
	}
	if ch.Has(keyValidate) {
		v, err := buildValidator(ch.Object(keyValidate), baseDir, log)
		if err != nil {
			errs = append(errs, asConfigErrors(ch.Object(keyValidate), err)...)
		} else {
			cfg.Validator = v
		}
	}
	deps := connector.Deps{Logger: log, Channel: name, BaseDir: baseDir, DataDir: dataDir, Receiver: opts.Receiver}
	var destNamesList []string
	for _, dn := range ch.List(keyDests) {
		destNamesList = append(destNamesList, dn.String(keyName))
	}
	tdeps := transform.Deps{Logger: log, Channel: name, TableDir: baseDir, Destinations: destNamesList}
	if opts.Store != nil {
		tdeps.State = channelState{store: opts.Store, channel: name}
	} else {
		// Without a store (courier test, lint), scripts keep channel state in memory.
		tdeps.State = &memoryState{m: map[string][]byte{}}
	}
	if destNamesList == nil {
		tdeps.Destinations = []string{}
	}
	var steps engine.Processor
	if hasSteps(ch) {
		p, err := transform.FromConfig(ch, tdeps)
		if err != nil {
			errs = append(errs, asConfigErrors(ch, err)...)
		} else {
			steps = p
		}
	}
	cfg.Processor = chain(typeFilter(ch.Strings(keyTypes)), steps)
	if src := ch.Object(keySource); src != nil {
		s, err := opts.Env.NewSource(src, deps)
		if err != nil {
			errs = append(errs, asConfigErrors(src, err)...)
		} else {
			cfg.Source = s
		}
	}
	destNames := map[string]bool{}
	for _, dn := range ch.List(keyDests) {
		dname := dn.String(keyName)
		if destNames[dname] {
			errs = append(errs, dn.Errorf(keyName, "destination %q is defined twice in channel %q", dname, name))
			continue
		}
		destNames[dname] = true
		if dn.Kind() == "channel" {
			if target := dn.String("channel"); !channels[target] {
				errs = append(errs, dn.Errorf("channel", "no channel named %q (channels: %s)", target, keys(channels)))
				continue
			}
		}
		dc := engine.DestinationConfig{
			Name:        dname,
			Parallel:    dn.Int(keyParallel),
			SendTimeout: dn.Duration(keyTimeout),
			Batch:       dn.Int(keyClaim),
		}
		if ob := dn.String(keyOrderBy); ob != "" {
			p, err := hl7.ParsePath(ob)
			if err != nil {
				errs = append(errs, dn.Errorf(keyOrderBy, "%v", err))
			} else {
				dc.OrderBy = &p
			}
		}
		if hasSteps(dn) {
			dd := tdeps
			dd.Destinations, dd.Logger = nil, log.With("destination", dname)
			p, err := transform.FromConfig(dn, dd)
			if err != nil {
				errs = append(errs, asConfigErrors(dn, err)...)
			} else {
				dc.Processor = p
			}
		}
		r := dn.Object(keyRetry)
		dc.Retry = engine.RetryPolicy{
			Initial: r.Duration(keyInitial), Max: r.Duration(keyMax), Multiplier: r.Float(keyMultiplier),
			Jitter: r.Float(keyJitter), MaxAttempts: r.Int(keyMaxAttempts), MoveOn: r.String(keyOnGiveUp) == "continue",
		}
		if dc.Retry.Max < dc.Retry.Initial {
			errs = append(errs, r.Errorf(keyMax, "the longest wait (%s) is shorter than the first (%s)", dc.Retry.Max, dc.Retry.Initial))
		}
		ddeps := deps
		ddeps.Name = dname
		ddeps.Logger = log.With("destination", dname)
		d, err := opts.Env.NewDestination(dn, ddeps)
		if err != nil {
			errs = append(errs, asConfigErrors(dn, err)...)
			continue
		}
		dc.Dest = d
		cfg.Destinations = append(cfg.Destinations, dc)
	}
	return cfg, errs
}

// asConfigErrors keeps a constructor's positioned errors and places any other error at the
// connector's own position.
func asConfigErrors(n *config.Node, err error) config.Errors {
	if ce := config.AsErrors(err); len(ce) > 0 {
		return ce
	}
	var e *config.Error
	if errors.As(err, &e) {
		return config.Errors{e}
	}
	return config.Errors{&config.Error{Pos: n.Pos(), Path: n.Path(), Msg: err.Error(), Err: err}}
}

// version fingerprints a channel's configuration, so that a reload restarts only channels
// whose configuration changed.
func version(ch *config.Node) string {
	b, _ := json.Marshal(ch.Value())
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func keys(m map[string]bool) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}

// Close releases what Load constructed when the plan is not run (lint, a refused reload).
func Close(p *Plan) { closePlan(p) }

// closePlan closes the destinations a failed Load constructed.
func closePlan(p *Plan) {
	for _, c := range p.Channels {
		for _, d := range c.Destinations {
			if d.Dest != nil {
				_ = d.Dest.Close(context.Background())
			}
		}
	}
}

// hasSteps reports whether a channel or destination configures a filter, tables or steps.
func hasSteps(n *config.Node) bool {
	return n.Has("filter") || n.Has("steps") || n.Has("tables")
}

func typeFilter(types []string) engine.Processor {
	if len(types) == 0 {
		return nil
	}
	return engine.TypeFilter(types)
}

// chain runs processors one after the other; nil ones are skipped.
func chain(ps ...engine.Processor) engine.Processor {
	var list []engine.Processor
	for _, p := range ps {
		if p != nil {
			list = append(list, p)
		}
	}
	switch len(list) {
	case 0:
		return nil
	case 1:
		return list[0]
	}
	return chained(list)
}

type chained []engine.Processor

// Process runs each processor on the outputs of the one before.
func (c chained) Process(ctx context.Context, m *hl7.Message) (engine.Result, error) {
	res, err := c[0].Process(ctx, m)
	if err != nil || res.Filtered {
		return res, err
	}
	for _, p := range c[1:] {
		var next engine.Result
		for _, out := range res.Outputs {
			r, err := p.Process(ctx, out.Message)
			if err != nil {
				return engine.Result{}, err
			}
			if r.Filtered {
				if len(res.Outputs) == 1 {
					return r, nil
				}
				continue
			}
			for _, o := range r.Outputs {
				if o.Destinations == nil {
					o.Destinations = out.Destinations
				}
				next.Outputs = append(next.Outputs, o)
			}
		}
		if len(next.Outputs) == 0 {
			return engine.Result{Filtered: true, Reason: "every output was filtered"}, nil
		}
		res = next
	}
	return res, nil
}

// channelState gives scripts their channel's key/value state in the store.
type channelState struct {
	store   func() store.Store
	channel string
}

func (s channelState) Get(ctx context.Context, key string) ([]byte, bool, error) {
	st := s.get()
	if st == nil {
		return nil, false, errNoStore
	}
	return st.StateGet(ctx, s.channel, key)
}

func (s channelState) Set(ctx context.Context, key string, v []byte) error {
	st := s.get()
	if st == nil {
		return errNoStore
	}
	return st.StateSet(ctx, s.channel, key, v)
}

func (s channelState) get() store.Store {
	if s.store == nil {
		return nil
	}
	return s.store()
}

var errNoStore = errors.New("channel state is not available: the store is not open")

// memoryState is channel state kept in memory, for runs without a store.
type memoryState struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memoryState) Get(_ context.Context, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok, nil
}

func (s *memoryState) Set(_ context.Context, key string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = append([]byte(nil), v...)
	return nil
}

// buildValidator builds a channel's validation from its `validate` node.
func buildValidator(n *config.Node, baseDir string, log *slog.Logger) (engine.Validator, error) {
	var errs config.Errors
	o := validate.Options{Version: n.String(keyVersion), RejectZSegments: n.Bool(keyRejectZ)}
	if n.Bool(keyLengthErrors) {
		o.LengthSeverity = validate.Error
	}
	if n.Bool(keyTableErrors) {
		o.TableSeverity = validate.Error
	}
	rel := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(baseDir, p)
	}
	for _, f := range n.Strings(keyProfiles) {
		p, err := validate.LoadProfile(rel(f))
		if err != nil {
			errs = append(errs, n.Errorf(keyProfiles, "%v", err))
			continue
		}
		o.Profiles = append(o.Profiles, p)
	}
	for _, f := range n.Strings(keyRules) {
		r, err := validate.LoadRules(rel(f))
		if err != nil {
			errs = append(errs, n.Errorf(keyRules, "%v", err))
			continue
		}
		o.Rules = append(o.Rules, r)
	}
	if files := n.Strings(keyTables); len(files) > 0 {
		for i := range files {
			files[i] = rel(files[i])
		}
		ts, err := validate.LoadTables(files...)
		if err != nil {
			errs = append(errs, n.Errorf(keyTables, "%v", err))
		}
		o.Tables = ts
	}
	if len(errs) > 0 {
		return nil, errs
	}
	v, err := validate.New(o)
	if err != nil {
		return nil, n.Errorf(keyVersion, "%v", err)
	}
	return validator{v: v, accept: n.String(keyOnInvalid) == "accept", log: log}, nil
}

// validator adapts a validate.Validator to the engine.
type validator struct {
	v      *validate.Validator
	accept bool
	log    *slog.Logger
}

// Validate implements engine.Validator.
func (a validator) Validate(m *hl7.Message) []hl7.AckError {
	r := a.v.Validate(m)
	if r.Valid() && len(r.Issues) == 0 {
		return nil
	}
	errs := r.AckErrors()
	if !a.accept {
		return errs
	}
	for _, e := range errs {
		if e.Severity != "" && e.Severity != "E" && e.Severity != "F" {
			continue
		}
		a.log.Warn("validation problem; message accepted (on_invalid: accept)", "control_id", m.ControlID(), "path", e.Location.String(), "code", e.Code, "severity", e.Severity)
	}
	return nil
}
