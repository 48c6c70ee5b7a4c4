package bench

import (
	"fmt"
	"strings"
)

// usageSection reports CPU and memory per variant.
func usageSection(b *strings.Builder, r *Results) {
	b.WriteString("## CPU and memory\n\n")
	b.WriteString("Before deploy = the provider alone, over one second before the variant's first deploy (it keeps what " +
		"earlier variants left: compiled modules, pooled memory, Go heap, so compare idle with it rather than across rows). " +
		"Idle = the deployed, warm function over one second; under load = during the concurrent phase; max = during " +
		"the max-throughput phase. Provider = the provider process (in local mode it runs Wasm functions in-process and proxies " +
		"to containers, so it carries both variants' routing); replicas = the processes below the containerd shims: a container's " +
		"processes, and on Kubernetes also the Wasm runner and the pause process (with --gateway and no --containerd-socket, " +
		"FunctionStatus.usage). Cores = CPU seconds / wall seconds; RSS = the highest sample " +
		"(every 250 ms). Replica numbers sum every process below the shims, short-lived runc helpers included, so treat " +
		"them as indicative.\n\n")
	cores := func(rd *Reading) string {
		if rd == nil {
			return "—"
		}
		return fmt.Sprintf("%.2f", rd.Cores)
	}
	mib := func(rd *Reading) string {
		if rd == nil || rd.MaxRSSBytes <= 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f", rd.MaxRSSBytes/(1<<20))
	}
	var rows [][]string
	for _, f := range r.Functions {
		for _, v := range f.Variants {
			prov := func(u *Usage) *Reading {
				if u == nil {
					return nil
				}
				return u.Provider
			}
			rep := func(u *Usage) *Reading {
				if u == nil {
					return nil
				}
				return u.Replica
			}
			var conc, mx *Usage
			if v.Concurrent != nil {
				conc = v.Concurrent.Usage
			}
			if v.Max != nil {
				mx = v.Max.Usage
			}
			rows = append(rows, append(variantCells(f, v),
				mib(prov(v.Before)), mib(prov(v.Idle)), mib(rep(v.Idle)),
				cores(prov(conc)), cores(rep(conc)), mib(prov(conc)), mib(rep(conc)),
				cores(prov(mx)), cores(rep(mx))))
		}
	}
	table(b, append(append([]string{}, variantHeader...), "provider MiB before deploy", "idle provider MiB", "idle replicas MiB", "load provider cores", "load replica cores",
		"load provider MiB", "load replicas MiB", "max provider cores", "max replica cores"), rows)
}

// methodology explains what the numbers are.
func methodology(b *strings.Builder) {
	b.WriteString("## How it is measured\n\n")
	b.WriteString("- Black box: only the provider API (`/system/*`, `/function/*`) and the registry are used; the same code runs " +
		"against any OpenFaaS gateway with `--gateway`.\n" +
		"- Latency is client-side, from sending the request to reading the whole answer, over loopback to the provider; " +
		"only 200 answers count (others are errors). Inputs are the study's queries.\n" +
		"- Variants run one after the other, never together; each function is deleted before the next.\n" +
		"- In local mode the benchmark starts its own registry, containerd, provider (this binary, temp state dir, " +
		"empty module cache), Hamlet text server and PostgreSQL + userstore, and stops them at the end.\n" +
		"- The Hamlet text is the repository's excerpt (functions/testdata/hamlet.txt), not the study's full play.\n" +
		"- The study measured on a k3s cluster through an ingress; local-mode numbers have no ingress or pod network for " +
		"Wasm, so compare the ratios more than the absolute values.\n\n")
}
