package connector

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/courier-hl7/courier/internal/config"
)

// Categories of the specs an Env holds, as they appear in courier.yaml.
const (
	CategorySource      = "source"
	CategoryDestination = "destination"
	CategoryStep        = "step"
)

// Deps are what a connector's constructor may use besides its own configuration.
type Deps struct {
	Logger  *slog.Logger
	Channel string // the channel the connector belongs to
	Name    string // the destination's name (empty for a source)
	// BaseDir is the directory of the configuration file: relative paths in it are relative
	// to BaseDir.
	BaseDir string
	// DataDir is Courier's data directory.
	DataDir string
	// Receiver finds another channel's receiving side, for channel-to-channel delivery. It is
	// valid once the engine runs; constructors keep it and call it when sending.
	Receiver func(channel string) (Receiver, bool)
}

// SourceConstructor builds a source from its decoded configuration.
type SourceConstructor func(n *config.Node, deps Deps) (Source, error)

// DestinationConstructor builds a destination from its decoded configuration.
type DestinationConstructor func(n *config.Node, deps Deps) (Destination, error)

// Env holds the connectors Courier knows: their specs (for decoding, lint, the JSON Schema
// and the docs) and their constructors. Build one with NewEnv for tests; connector packages
// register themselves in the default one (Global) from init.
type Env struct {
	specs *config.Registry
	mu    sync.RWMutex
	srcs  map[string]SourceConstructor
	dests map[string]DestinationConstructor
}

// NewEnv returns an empty Env.
func NewEnv() *Env {
	return &Env{specs: config.NewRegistry(), srcs: map[string]SourceConstructor{}, dests: map[string]DestinationConstructor{}}
}

var global = NewEnv()

// Global returns the default Env that connector packages register into.
func Global() *Env { return global }

// Specs returns the registry of specs, by category.
func (e *Env) Specs() *config.Registry { return e.specs }

// RegisterSource adds a source kind.
func (e *Env) RegisterSource(spec config.Spec, c SourceConstructor) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.specs.Register(CategorySource, spec); err != nil {
		return err
	}
	e.srcs[spec.Name] = c
	return nil
}

// RegisterDestination adds a destination kind.
func (e *Env) RegisterDestination(spec config.Spec, c DestinationConstructor) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.specs.Register(CategoryDestination, spec); err != nil {
		return err
	}
	e.dests[spec.Name] = c
	return nil
}

// MustRegisterSource registers into the default Env, for init functions.
func MustRegisterSource(spec config.Spec, c SourceConstructor) {
	if err := global.RegisterSource(spec, c); err != nil {
		panic(err)
	}
}

// MustRegisterDestination registers into the default Env, for init functions.
func MustRegisterDestination(spec config.Spec, c DestinationConstructor) {
	if err := global.RegisterDestination(spec, c); err != nil {
		panic(err)
	}
}

// NewSource builds the source that n (a plugin node of category source) describes.
func (e *Env) NewSource(n *config.Node, deps Deps) (Source, error) {
	e.mu.RLock()
	c, ok := e.srcs[n.Kind()]
	e.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown source type %q", n.Kind())
	}
	return c(n, deps)
}

// NewDestination builds the destination that n (a plugin node of category destination)
// describes.
func (e *Env) NewDestination(n *config.Node, deps Deps) (Destination, error) {
	e.mu.RLock()
	c, ok := e.dests[n.Kind()]
	e.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown destination type %q", n.Kind())
	}
	return c(n, deps)
}
