package config

import (
	"fmt"
	"slices"
	"sync"
)

// A Registry maps a category ("source", "destination", "step") and a kind ("mllp", "http")
// to the Spec of that plug-in. It is a value, not a global: the connector bundle fills a
// default one, and tests build their own. It is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	specs map[string]map[string]Spec
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{specs: map[string]map[string]Spec{}}
}

// Register adds the spec s as the kind s.Name in category. It fails if the names are not
// lower-case words, if the spec does not validate, if it declares a field named `type` (the
// key that selects the kind), or if the kind is already registered in that category.
func (r *Registry) Register(category string, s Spec) error {
	if !kindNameRE.MatchString(category) {
		return fmt.Errorf("register %q: invalid category %q", s.Name, category)
	}
	if !kindNameRE.MatchString(s.Name) {
		return fmt.Errorf("register %s %q: invalid kind name", category, s.Name)
	}
	for _, f := range s.Fields {
		if f.Name == "type" {
			return fmt.Errorf("register %s %q: field `type` is the kind selector and cannot be declared", category, s.Name)
		}
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("register %s: %w", category, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	kinds := r.specs[category]
	if kinds == nil {
		kinds = map[string]Spec{}
		r.specs[category] = kinds
	}
	if _, dup := kinds[s.Name]; dup {
		return fmt.Errorf("register %s %q: already registered", category, s.Name)
	}
	kinds[s.Name] = s
	return nil
}

// Lookup returns the spec of kind name in category.
func (r *Registry) Lookup(category, name string) (Spec, bool) {
	if r == nil {
		return Spec{}, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.specs[category][name]
	return s, ok
}

// Kinds returns the kinds registered in category, sorted.
func (r *Registry) Kinds(category string) []string {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.specs[category]))
	for k := range r.specs[category] {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Categories returns the categories that have at least one kind, sorted.
func (r *Registry) Categories() []string {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.specs))
	for c := range r.specs {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// CheckExamples decodes the examples of every registered spec (see CheckExamples) and
// returns all their problems. A connector bundle's test calls it once.
func (r *Registry) CheckExamples() error {
	var all Errors
	for _, c := range r.Categories() {
		for _, k := range r.Kinds(c) {
			s, _ := r.Lookup(c, k)
			err := CheckExamples(s, c, r)
			es := AsErrors(err)
			if err != nil && es == nil {
				return err
			}
			all = append(all, es...)
		}
	}
	return all.Err()
}
