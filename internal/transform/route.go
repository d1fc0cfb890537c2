package transform

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// RouteRule sends the messages for which When is true to the destinations To. An empty When
// is always true.
type RouteRule struct {
	When string
	To   []string
}

// RouteOptions configures a route step.
type RouteOptions struct {
	Rules []RouteRule
	// Default are the destinations of a message no rule matches; nil delivers it nowhere
	// (its entries are stored as FILTERED).
	Default []string
	// All sends a message to the destinations of every rule that matches, instead of the
	// first one only.
	All bool
}

type routeStep struct {
	stepBase
	o     RouteOptions
	conds []*program
	// ruleDests and defDests are the destinations a message gets from one rule, without
	// repeats, and from Default (never nil: nowhere), made once: without All, every message
	// gets one of them, and the outputs share it instead of a copy each. They are capped, so
	// that an append to an output's destinations copies them.
	ruleDests [][]string
	defDests  []string
}

// Route returns a step that chooses a message's destinations.
func Route(o RouteOptions) (Step, error) {
	if len(o.Rules) == 0 {
		return nil, errors.New("route needs at least one rule")
	}
	for i, r := range o.Rules {
		if len(r.To) == 0 {
			return nil, fmt.Errorf("rule %d has no destinations (to:)", i+1)
		}
	}
	s := &routeStep{o: o, defDests: slices.Clip(append([]string{}, o.Default...))}
	for _, r := range o.Rules {
		var dests []string
		for _, d := range r.To {
			if !slices.Contains(dests, d) {
				dests = append(dests, d)
			}
		}
		s.ruleDests = append(s.ruleDests, slices.Clip(dests))
	}
	return s, nil
}

func (s *routeStep) Kind() string { return "route" }

func checkDestinations(c *compiler, names []string) error {
	if c.deps == nil || c.deps.Destinations == nil {
		return nil
	}
	for _, n := range names {
		if !slices.Contains(c.deps.Destinations, n) {
			return fmt.Errorf("no destination %q in this channel (it has: %s)", n, strings.Join(c.deps.Destinations, ", "))
		}
	}
	return nil
}

func (s *routeStep) compile(c *compiler) error {
	s.conds = make([]*program, len(s.o.Rules))
	for i, r := range s.o.Rules {
		if err := checkDestinations(c, r.To); err != nil {
			return fmt.Errorf("rule %d: %w", i+1, err)
		}
		if strings.TrimSpace(r.When) == "" {
			continue
		}
		prog, err := c.compile(r.When, exprBool)
		if err != nil {
			return fmt.Errorf("rule %d: %w", i+1, err)
		}
		s.conds[i] = prog
	}
	return checkDestinations(c, s.o.Default)
}

func (s *routeStep) apply(r *run, it *item) error {
	if it.pinned {
		return nil // a built message sent where its build step's to: says
	}
	var dests []string
	matched := false
	for i, rule := range s.o.Rules {
		if p := s.conds[i]; p != nil {
			ok, err := p.evalBool(r.envAt(it, -1, ""))
			if err != nil {
				return fmt.Errorf("rule %d: %w", i+1, err)
			}
			if !ok {
				continue
			}
		}
		matched = true
		if !s.o.All {
			dests = s.ruleDests[i]
			break
		}
		for _, d := range rule.To {
			if !slices.Contains(dests, d) {
				dests = append(dests, d)
			}
		}
	}
	if !matched {
		dests = s.defDests
	}
	it.dests = dests
	return nil
}

type filterStep struct {
	stepBase
	src  string
	prog *program
}

// Filter returns a step that stops the messages for which cond is false. After a split it
// stops single parts; a message none of whose parts is left is FILTERED.
func Filter(cond string) (Step, error) {
	if strings.TrimSpace(cond) == "" {
		return nil, errors.New("filter needs an expression")
	}
	return &filterStep{src: cond}, nil
}

func (s *filterStep) Kind() string { return "filter" }

func (s *filterStep) compile(c *compiler) error {
	prog, err := c.compile(s.src, exprBool)
	if err != nil {
		return err
	}
	s.prog = prog
	return nil
}

func (s *filterStep) apply(r *run, it *item) error {
	ok, err := s.prog.evalBool(r.envAt(it, -1, ""))
	if err != nil {
		return err
	}
	if !ok {
		it.drop = true
		it.reason = fmt.Sprintf("step %d (filter) was false: %s", s.index, clipExpr(s.src))
	}
	return nil
}
