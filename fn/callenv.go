package fn

import (
	"os"
	"strings"
)

// maxDeadVars is how many variables callEnv may unset before it rebuilds
// the environment: Go's syscall package never reuses an unset variable's
// slot, so each unset leaves a dead entry in its table until the next
// os.Clearenv.
const maxDeadVars = 256

// callEnv keeps a reactor instance's environment across calls: the
// instance's own variables with the running call's request variables on
// top. A warm instance serves call after call; setting only what changed
// keeps a call from paying an os.Setenv per variable (with its lock, map
// write and string copy) when most of them are the last call's.
type callEnv struct {
	// base is the instance's own environment, saved before the first call.
	base map[string]string
	// names are the last call's request variables.
	names []string
	// dead counts the variables unset since the environment was rebuilt.
	dead int
}

// apply makes the environment the instance's own variables overridden by
// the request variables names (each once) with their values, as a command
// module's would be: every request variable is set to its value (also when
// the last handler changed it), and a variable of the last call that this
// one lacks goes back to the instance's value or away. apply keeps names,
// which the caller must not change. Variables that a handler set
// itself and no request sets persist, as its globals do.
func (e *callEnv) apply(names []string, values map[string]string) {
	if e.base == nil {
		e.base = environMap(os.Environ())
	}
	for _, k := range names {
		v := values[k]
		if cur, ok := os.LookupEnv(k); !ok || cur != v {
			_ = os.Setenv(k, v)
		}
	}
	for _, k := range e.names {
		if _, ok := values[k]; ok {
			continue
		}
		if v, ok := e.base[k]; ok {
			_ = os.Setenv(k, v)
			continue
		}
		_ = os.Unsetenv(k)
		e.dead++
	}
	e.names = names
	if e.dead > maxDeadVars {
		e.rebuild()
	}
}

// rebuild clears the environment, dead entries included, and sets its live
// variables again: the content stays as it was.
func (e *callEnv) rebuild() {
	live := os.Environ()
	os.Clearenv()
	for _, kv := range live {
		if k, v, ok := strings.Cut(kv, "="); ok {
			_ = os.Setenv(k, v)
		}
	}
	e.dead = 0
}

// environMap turns os.Environ's KEY=value list into a map.
func environMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
