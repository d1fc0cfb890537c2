package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/server"
	"github.com/courier-hl7/courier/internal/transform/chantest"
	"github.com/spf13/cobra"
)

func newTestCmd() *cobra.Command {
	var cfgFile string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test [--config FILE] PATH...",
		Short: "Run channel tests: input messages and what each destination must receive",
		Long: `Test runs channel test files (YAML; docs/transform.md describes them) against the channels of
a configuration: each input message goes through the channel's filter and steps and each
destination's steps, exactly as the engine runs them, and the result is compared with what the
test expects — filtered or not, the messages each destination receives (whole, or selected
paths), the error a bad message gets. Nothing is sent and nothing is stored.

PATH is a test file or a folder (its *.test.yaml files, recursively). Without --config, each
test file uses the courier.yaml in its own folder or the nearest folder above it.

  courier test examples/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := testFiles(args)
			if err != nil {
				return err
			}
			if len(files) == 0 {
				return fmt.Errorf("no test files (*.test.yaml) in %s", strings.Join(args, ", "))
			}
			out := cmd.OutOrStdout()
			plans := map[string]*server.Plan{}
			defer func() {
				for _, p := range plans {
					server.Close(p)
				}
			}()
			passed, failed := 0, 0
			for _, f := range files {
				tf, err := chantest.Load(f)
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					failed++
					continue
				}
				cfg := cfgFile
				if cfg == "" {
					if cfg = findConfig(filepath.Dir(f)); cfg == "" {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: no courier.yaml in its folder or above (give --config)\n", f)
						failed++
						continue
					}
				}
				plan := plans[cfg]
				if plan == nil {
					if plan, err = server.Load(server.LoadOptions{File: cfg, Env: connector.Global()}); err != nil {
						fmt.Fprintln(cmd.ErrOrStderr(), err)
						failed++
						continue
					}
					plans[cfg] = plan
				}
				ch, ok := testChannel(plan, tf.Channel)
				if !ok {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: channel %q is not in %s\n", f, tf.Channel, cfg)
					failed++
					continue
				}
				for _, r := range tf.Run(cmd.Context(), ch) {
					if r.Passed() {
						passed++
						if verbose {
							fmt.Fprintln(out, r.String()) // "PASS name"
						}
						continue
					}
					failed++
					fmt.Fprintln(out, r.String()) // "FAIL name (file:line:col)" and what differs
				}
			}
			fmt.Fprintf(out, "%d passed, %d failed\n", passed, failed)
			if failed > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&cfgFile, "config", "c", "", "configuration whose channels the tests run against")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list passing tests too")
	return cmd
}

// testChannel makes a channel of a plan into what chantest runs.
func testChannel(p *server.Plan, name string) (chantest.Channel, bool) {
	for _, c := range p.Channels {
		if c.Name != name {
			continue
		}
		ch := chantest.Channel{Name: c.Name, Parser: c.Parser, Processor: c.Processor}
		for _, d := range c.Destinations {
			ch.Destinations = append(ch.Destinations, chantest.Destination{Name: d.Name, Processor: d.Processor})
		}
		return ch, true
	}
	return chantest.Channel{}, false
}

// testFiles expands folders into their *.test.yaml files.
func testFiles(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			files = append(files, a)
			continue
		}
		err = filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".test.yaml") || strings.HasSuffix(p, ".test.yml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// findConfig looks for courier.yaml in dir and the folders above it.
func findConfig(dir string) string {
	for range 8 {
		p := filepath.Join(dir, "courier.yaml")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}
