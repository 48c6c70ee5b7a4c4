// Package k8s is the Kubernetes backend of faas-wasm: it implements
// provider.Backend with functions as Kubernetes workloads, through client-go.
//
// Each function is a Deployment and a ClusterIP Service (port 8080) named
// like the function in its namespace, labelled faas_function=NAME, app=NAME,
// app.kubernetes.io/managed-by=faas-wasm and faas-wasm/runtime=wasm|container.
// The deployed FunctionDeployment is stored as JSON in the Deployment's
// faas-wasm/spec annotation so that status echoes exactly what was deployed.
// Pods get env fprocess (from envProcess) plus envVars, resources, a
// read-only root filesystem when asked (with a writable /tmp), the listed
// Kubernetes Secrets as one read-only projected volume at
// /var/openfaas/secrets, readiness and liveness probes GET /_/health on 8080,
// and a rolling update with maxUnavailable 0. Wasm functions (annotation
// com.openfaas.runtime=wasm, or an image that oci.Inspect finds to be Wasm)
// get runtimeClassName (WithRuntimeClass, default "faas-wasm") and run the
// Wasm OCI image as the pod image; the node's containerd shim runs them.
//
// Reads come from informer caches (Deployments, Services, EndpointSlices,
// Pods and Secrets carrying the managed-by label; Namespaces labelled
// openfaas=1);
// secret values are dropped from the cache. Writes go through the
// clientset with field manager "faas-wasm" on copies of what was read.
// Objects without the managed-by label are never changed: a Deployment of
// another owner with a function's name makes Deploy fail with
// provider.ErrAlreadyExists and Update, Scale and Delete answer
// provider.ErrNotFound. Kubernetes errors are translated at this boundary:
// NotFound → ErrNotFound, AlreadyExists/Conflict → ErrAlreadyExists,
// Invalid/BadRequest → ErrInvalid, an unreachable API server → ErrUnavailable.
//
// A reconcile loop driven by the informers' events keeps each function's
// objects in place while the provider runs: a Service deleted by hand (or
// missing after a provider was killed between creating the Deployment and
// the Service) is created again, and so is a Deployment deleted by hand,
// from the last state its delete event carries. Delete first marks the
// Deployment (annotation faas-wasm/deleting) so that the loop lets it go;
// nothing is recreated in a namespace that is gone or being deleted.
//
// Invocations go to a reverse proxy per function that spreads calls round
// robin over the ready endpoints of the function's EndpointSlices (pod
// IP:8080) through one pooled keep-alive transport. With no ready endpoint
// Invoker returns provider.ErrUnavailable, and the HTTP layer scales the
// function from zero — unless, with WithColdServe, the function is Wasm:
// then the provider serves the call itself on a ColdRunner (local mode's
// Wasm driver) within a concurrency and memory budget, scales a function at
// zero back up in the background, and sends calls to the pods again once
// one is ready (coldserve.go). A Wasm function is loaded into the runner as
// it is deployed; its Secrets are copied into a private directory for the
// sandbox's read-only preopen (a function without Secrets has none, no
// filesystem at all). The annotation com.openfaas.wasm.cold-serve
// "false" keeps a function's calls on its pods. The backend neither counts
// calls nor scales idle functions to zero: package metrics counts
// (invocationCount) and package autoscale owns scale to zero.
//
// The package does not serve HTTP routes (see handlers/), does not build or
// push images (see builder/ and oci/) and runs Wasm only through the
// ColdRunner it is given (pods run Wasm in the node shim).
//
// # RBAC
//
// The least privilege the backend needs (rbac.yaml beside this package holds it as a
// ClusterRole), cluster-wide because functions live in many namespaces:
//
//	apps/deployments              get list watch create update delete
//	apps/deployments/scale        update
//	""/services                   get list watch create delete
//	""/secrets                    get list watch create update delete
//	""/pods                       list watch
//	""/pods/log                   get
//	""/namespaces                 get list watch create update patch delete
//	discovery.k8s.io/endpointslices  list watch
package k8s
