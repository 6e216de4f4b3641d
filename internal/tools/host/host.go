// Package host tells the measuring commands (benchcmp, loadtest) about the
// machine they run on: the processor's name, and which Python has the
// modules of the baselines. Only those commands import it.
package host

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// CPUModel returns the processor's name from /proc/cpuinfo, or GOARCH
// where there is none.
func CPUModel() string {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for line := range strings.SplitSeq(string(info), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return runtime.GOARCH
}

// Python returns the first of python3 on the PATH and Debian's
// /usr/bin/python3 that imports all of modules ("PIL", "aiohttp"): a
// Python installed apart from the system's often lacks Debian's packages.
func Python(modules ...string) (string, error) {
	imports := "import " + strings.Join(modules, ", ")
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", imports).Run() == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no python3 that can %q (Debian: apt-get install python3-pil python3-aiohttp)", imports)
}
