//go:build !linux

package reliability

import "syscall"

// childAttr adds nothing outside Linux: the cleanup of each test kills its child.
func childAttr() *syscall.SysProcAttr { return nil }
