// Package faascli replays, against the real provider in local mode, the
// exact HTTP requests faas-cli 0.18 sends for each of its verbs: paths,
// methods, query strings, JSON bodies as faas-cli marshals them, and
// headers (User-Agent, Content-Type, basic auth after `faas-cli login`,
// the empty `Authorization: Bearer` of a faas-cli never logged in). Each
// answer is checked for the status faas-cli accepts and decoded into the
// shape faas-cli decodes it into.
//
// The requests are test data recorded from faas-cli's source (its proxy/
// and commands/ packages and the openfaas/go-sdk client it uses), each row
// naming its source file; faas-cli itself is not run (it is not a Go
// module this build can fetch). Verbs that send no request to a provider
// (store, template, new) and those that run Docker (build, up, push,
// publish) are listed in the README's faas-cli table instead.
//
// The package has no code outside its tests. Run it with
//
//	go test -count=1 ./test/faascli/
package faascli
