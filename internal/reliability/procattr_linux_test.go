package reliability

import "syscall"

// childAttr makes the kernel kill a courier child if the test process dies first (a
// panic, a -timeout), so that no child outlives the test and keeps its ports.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
