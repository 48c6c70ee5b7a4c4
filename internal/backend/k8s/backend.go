package k8s

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Labels and annotations the backend puts on the objects it manages.
const (
	// LabelManagedBy marks every Deployment, Service, Secret and pod the
	// backend owns; objects without it are never changed.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is the value of LabelManagedBy.
	ManagedBy = "faas-wasm"
	// LabelApp carries the function's name, as OpenFaaS tooling expects.
	LabelApp = "app"
	// LabelRuntime records how the function runs: "wasm" or "container".
	LabelRuntime = "faas-wasm/runtime"
	// LabelNamespace marks a namespace as a function namespace.
	LabelNamespace = "openfaas"
	// AnnotationSpec holds the deployed FunctionDeployment as JSON, so
	// status echoes exactly what was deployed.
	AnnotationSpec = "faas-wasm/spec"
	// FieldManager names the backend in server-side field ownership.
	FieldManager = "faas-wasm"
	// FunctionPort is the port every function replica serves on.
	FunctionPort = 8080
)

// Cluster runs functions as Kubernetes Deployments. Use New.
type Cluster struct {
	client kubernetes.Interface
	opts   options
	log    *slog.Logger

	factory     informers.SharedInformerFactory
	nsFactory   informers.SharedInformerFactory
	deployments appslisters.DeploymentLister
	slices      cache.Indexer // EndpointSlices, indexed by indexService
	services    corelisters.ServiceLister
	pods        corelisters.PodLister
	secrets     corelisters.SecretLister
	namespaces  corelisters.NamespaceLister

	rec     *reconciler
	cold    *coldServer // nil: every call waits for a pod
	proxies sync.Map    // key "ns/name" → *proxy.Proxy
	specs   sync.Map    // key "ns/name" → *decodedSpec

	cancel context.CancelFunc
	closed sync.Once
}

var _ provider.Backend = (*Cluster)(nil)

// New starts informers over client, waits for their caches and returns the
// backend. The default function namespace is created (labelled openfaas=1)
// when it does not exist. client-go's own messages (klog, which is
// process-wide) go to the backend's logger from then on.
//
// # Errors
// When the caches do not sync within the sync timeout (the API server is
// unreachable or access is denied).
func New(ctx context.Context, client kubernetes.Interface, opts ...Option) (*Cluster, error) {
	o := newOptions(opts)
	if c := o.cold; c != nil && (c.Runner == nil || c.Concurrency < 1 || c.Memory < 1 || c.DefaultMemory < 1 || c.Dir == "") {
		return nil, fmt.Errorf("k8s backend: serving calls in the provider needs a runner, a directory and a positive budget: %w", provider.ErrInvalid)
	}
	klog.SetSlogLogger(o.log.With("component", "client-go"))
	managed := func(lo *metav1.ListOptions) { lo.LabelSelector = LabelManagedBy + "=" + ManagedBy }
	factory := informers.NewSharedInformerFactoryWithOptions(client, o.resync, informers.WithTweakListOptions(managed))
	nsFactory := informers.NewSharedInformerFactoryWithOptions(client, o.resync,
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = LabelNamespace + "=1" }))

	sliceInformer := factory.Discovery().V1().EndpointSlices().Informer()
	if err := sliceInformer.AddIndexers(cache.Indexers{indexService: serviceIndex}); err != nil {
		return nil, fmt.Errorf("k8s backend: endpoint slice informer: %w", err)
	}
	secretInformer := factory.Core().V1().Secrets().Informer()
	if err := secretInformer.SetTransform(dropSecretData); err != nil {
		return nil, fmt.Errorf("k8s backend: secret informer: %w", err)
	}
	b := &Cluster{
		client:      client,
		opts:        o,
		log:         o.log,
		factory:     factory,
		nsFactory:   nsFactory,
		deployments: factory.Apps().V1().Deployments().Lister(),
		slices:      sliceInformer.GetIndexer(),
		services:    factory.Core().V1().Services().Lister(),
		pods:        factory.Core().V1().Pods().Lister(),
		secrets:     factory.Core().V1().Secrets().Lister(),
		namespaces:  nsFactory.Core().V1().Namespaces().Lister(),
		rec:         newReconciler(),
	}
	if o.cold != nil {
		// Copies of secrets a previous run wrote may be stale: start afresh.
		if err := errors.Join(os.RemoveAll(o.cold.Dir), os.MkdirAll(o.cold.Dir, 0o700)); err != nil {
			return nil, fmt.Errorf("k8s backend: secrets directory of calls served in the provider: %w", err)
		}
		b.cold = newColdServer(*o.cold)
	}
	if _, err := factory.Apps().V1().Deployments().Informer().AddEventHandler(b.deploymentEvents()); err != nil {
		return nil, fmt.Errorf("k8s backend: deployment informer: %w", err)
	}
	if _, err := factory.Core().V1().Services().Informer().AddEventHandler(b.serviceEvents()); err != nil {
		return nil, fmt.Errorf("k8s backend: service informer: %w", err)
	}
	if b.cold != nil {
		if _, err := sliceInformer.AddEventHandler(b.podEvents()); err != nil {
			return nil, fmt.Errorf("k8s backend: endpoint slice informer: %w", err)
		}
		if _, err := factory.Apps().V1().Deployments().Informer().AddEventHandler(b.podEvents()); err != nil {
			return nil, fmt.Errorf("k8s backend: deployment informer: %w", err)
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.cancel = cancel
	if b.cold != nil {
		b.cold.ctx = runCtx
	}
	factory.Start(runCtx.Done())
	nsFactory.Start(runCtx.Done())

	syncCtx, stop := context.WithTimeout(ctx, o.syncTimeout)
	defer stop()
	for typ, ok := range factory.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			b.shutdown()
			return nil, fmt.Errorf("k8s backend: informer cache of %v did not sync within %s (API server unreachable or access denied): %w", typ, o.syncTimeout, provider.ErrUnavailable)
		}
	}
	for typ, ok := range nsFactory.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			b.shutdown()
			return nil, fmt.Errorf("k8s backend: informer cache of %v did not sync within %s: %w", typ, o.syncTimeout, provider.ErrUnavailable)
		}
	}
	if err := b.ensureDefaultNamespace(ctx); err != nil {
		o.log.Warn("default function namespace not ensured", "namespace", o.namespace, "err", err)
	}
	go b.reconcileLoop(runCtx)
	o.log.Info("kubernetes backend ready", "namespace", o.namespace, "runtime_class", o.runtimeClass)
	return b, nil
}

// NewFromKubeconfig builds a clientset from a kubeconfig file (the
// in-cluster configuration when path is empty) and calls New.
//
// # Errors
// When the configuration cannot be read; otherwise as New.
func NewFromKubeconfig(ctx context.Context, path string, opts ...Option) (*Cluster, error) {
	cfg, err := RESTConfig(path)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("k8s backend: client: %w", err)
	}
	return New(ctx, client, opts...)
}

// RESTConfig reads a kubeconfig file, or the in-cluster configuration when
// path is empty. Requests carry the user agent "faas-wasm".
//
// # Errors
// When the file cannot be read or parsed, or outside a cluster with an empty path.
func RESTConfig(path string) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if path == "" {
		cfg, err = rest.InClusterConfig()
	} else {
		cfg, err = clientcmd.BuildConfigFromFlags("", path)
	}
	if err != nil {
		return nil, fmt.Errorf("k8s backend: kubeconfig %q: %w", path, err)
	}
	cfg.UserAgent = "faas-wasm"
	cfg.QPS, cfg.Burst = 50, 100
	return cfg, nil
}

// Close stops the informers, the reconcile loop and the background loads
// and scale-ups of calls served in the provider, and closes idle
// connections to function pods. It is safe to call more than once.
func (b *Cluster) Close(context.Context) error {
	b.shutdown()
	<-b.rec.done
	if b.cold != nil {
		b.cold.background.Wait()
	}
	return nil
}

func (b *Cluster) shutdown() {
	b.closed.Do(func() {
		b.cancel()
		b.rec.queue.ShutDown()
		b.factory.Shutdown()
		b.nsFactory.Shutdown()
		if t, ok := b.opts.transport.(interface{ CloseIdleConnections() }); ok {
			t.CloseIdleConnections()
		}
	})
}

// Info describes the backend: provider "faas-wasm", orchestration "kubernetes".
func (b *Cluster) Info(context.Context) provider.ProviderInfo {
	return provider.ProviderInfo{Name: "faas-wasm", Orchestration: "kubernetes", Version: b.opts.version}
}

// forgetDeleted drops the in-memory state of a Deployment that is gone,
// however it was deleted (by Delete, kubectl, or with its namespace).
func (b *Cluster) forgetDeleted(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return
	}
	key := d.Namespace + "/" + d.Name
	b.specs.Delete(key)
	b.proxies.Delete(key)
	b.forgetCold(d)
}

// functionSelector selects the objects of one function.
func functionSelector(name string) labels.Selector {
	return labels.SelectorFromSet(labels.Set{provider.LabelFunction: name, LabelManagedBy: ManagedBy})
}

// dropSecretData keeps secret values out of the informer cache: only
// metadata is needed to list secrets.
func dropSecretData(obj any) (any, error) {
	if s, ok := obj.(*corev1.Secret); ok {
		s.Data, s.StringData = nil, nil
	}
	return obj, nil
}

// newTransport is the pooled keep-alive transport to function pods.
func newTransport() *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
