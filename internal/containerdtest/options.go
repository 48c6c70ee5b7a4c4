package containerdtest

// Option configures New and Run.
type Option func(*options)

type options struct {
	env      []string
	required []string
}

// WithEnv adds KEY=value entries to the daemon's environment (and so to its
// shims'), for example a cache dir a shim reads. Later entries win over
// earlier ones and over the test's environment; a PATH given here replaces
// the one that holds BinDir.
func WithEnv(env ...string) Option {
	return func(o *options) { o.env = append(o.env, env...) }
}

// WithRequired names further programs the tests need (looked up on PATH)
// or files (a name holding a slash, checked to exist); when one is missing
// New reports ErrUnavailable.
func WithRequired(programsOrFiles ...string) Option {
	return func(o *options) { o.required = append(o.required, programsOrFiles...) }
}
