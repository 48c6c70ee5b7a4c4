package k8s

import (
	"context"
	"errors"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/faas-wasm/faas-wasm/provider"
)

// annotationDeleting marks a Deployment that Delete is removing: the
// reconcile loop lets it go instead of creating it again.
const annotationDeleting = "faas-wasm/deleting"

// reconcileRetries bounds how often a failed repair of one function is
// retried (with the queue's exponential backoff) before it waits for the
// function's next event.
const reconcileRetries = 10

// reconciler keeps every function's Deployment and Service in place while
// the provider runs. A Service deleted by hand, or never created (a
// provider killed between the two), is created again from the Deployment;
// a Deployment deleted by hand — not by Delete, not with its namespace — is
// created again from its last state, which the informer's delete event
// carries (its Service goes with it and is created again too). Informer
// events queue the function's "namespace/name"; one worker repairs, after
// the caches have synced, retrying failures with backoff. A Deployment
// deleted while no provider runs is not noticed.
type reconciler struct {
	queue workqueue.TypedRateLimitingInterface[string]
	done  chan struct{}

	mu      sync.Mutex
	gone    map[string]*appsv1.Deployment // last state of Deployments deleted by hand
	writing map[string]int                // functions a Deploy or Update of this provider is writing
}

func newReconciler() *reconciler {
	return &reconciler{
		queue:   workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		done:    make(chan struct{}),
		gone:    map[string]*appsv1.Deployment{},
		writing: map[string]int{},
	}
}

// begin marks the function key as being written by a Deploy or Update:
// until the matching end, its Service is missing because it is not
// created yet, which is nothing to repair.
func (r *reconciler) begin(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writing[key]++
}

// end undoes one begin and queues key, so that a Service still missing
// once the write is over (the write failed half-way) is repaired.
func (r *reconciler) end(key string) {
	r.mu.Lock()
	if r.writing[key]--; r.writing[key] <= 0 {
		delete(r.writing, key)
	}
	r.mu.Unlock()
	r.queue.Add(key)
}

// beingWritten reports whether a Deploy or Update is writing key.
func (r *reconciler) beingWritten(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writing[key] > 0
}

// deploymentEvents queues the functions whose Deployment was added,
// changed or deleted, remembering the last state of one deleted by hand.
func (b *Cluster) deploymentEvents() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { b.queueFunction(obj) },
		UpdateFunc: func(_, obj any) { b.queueFunction(obj) },
		DeleteFunc: func(obj any) {
			b.forgetDeleted(obj)
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			d, ok := obj.(*appsv1.Deployment)
			if !ok || d.Labels[LabelManagedBy] != ManagedBy || d.Labels[provider.LabelFunction] != d.Name {
				return
			}
			key := d.Namespace + "/" + d.Name
			if d.Annotations[annotationDeleting] != "" {
				b.rec.record(key, nil) // deleted on purpose: an earlier deletion by hand is void
				return
			}
			b.rec.record(key, d)
			b.rec.queue.Add(key)
		},
	}
}

// serviceEvents queues the functions whose Service was deleted.
func (b *Cluster) serviceEvents() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{DeleteFunc: b.queueFunction}
}

// queueFunction queues the function a Deployment or Service belongs to.
func (b *Cluster) queueFunction(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if m, ok := obj.(metav1.Object); ok && m.GetLabels()[LabelManagedBy] == ManagedBy && m.GetLabels()[provider.LabelFunction] == m.GetName() {
		b.rec.queue.Add(m.GetNamespace() + "/" + m.GetName())
	}
}

// reconcileLoop repairs queued functions until the queue shuts down.
func (b *Cluster) reconcileLoop(ctx context.Context) {
	defer close(b.rec.done)
	for {
		key, quit := b.rec.queue.Get()
		if quit {
			return
		}
		err := b.reconcile(ctx, key)
		switch {
		case err == nil || ctx.Err() != nil:
			b.rec.queue.Forget(key)
		case b.rec.queue.NumRequeues(key) < reconcileRetries:
			b.log.Warn("function not repaired yet; retrying", "function", key, "err", err)
			b.rec.queue.AddRateLimited(key)
		default:
			b.log.Error("function not repaired", "function", key, "err", err)
			b.rec.queue.Forget(key)
		}
		b.rec.queue.Done(key)
	}
}

// reconcile gives the function key its missing Service, or its Deployment
// deleted by hand.
func (b *Cluster) reconcile(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil // not a key this backend queues
	}
	// The last state is read before the cache: a deletion by hand after
	// this look records a newer one, which this repair must not forget.
	last := b.rec.lastState(key)
	d, err := b.deployments.Deployments(ns).Get(name)
	if err == nil {
		b.rec.forget(key, last)
		if !isFunction(d) {
			return nil
		}
		if _, err := b.services.Services(ns).Get(name); err == nil || b.rec.beingWritten(key) {
			return nil
		}
		return b.restoreService(ctx, d)
	}
	if last == nil {
		return nil
	}
	return b.restoreDeployment(ctx, key, last)
}

// record keeps d as the last state of the function key's Deployment,
// deleted by hand; a nil d drops any kept state.
func (r *reconciler) record(key string, d *appsv1.Deployment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d == nil {
		delete(r.gone, key)
		return
	}
	r.gone[key] = d
}

// lastState returns the kept last state of the function key's Deployment,
// or nil.
func (r *reconciler) lastState(key string) *appsv1.Deployment {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gone[key]
}

// forget drops the kept state of key if it is still last: a newer one,
// recorded by a later deletion by hand, stays.
func (r *reconciler) forget(key string, last *appsv1.Deployment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone[key] == last {
		delete(r.gone, key)
	}
}

// restoreService creates d's Service when the API server confirms that it
// is missing and that d still exists (the cache may lag behind a deletion
// whose garbage collection took the Service), and logs it. In a namespace
// being deleted there is nothing to restore.
func (b *Cluster) restoreService(ctx context.Context, d *appsv1.Deployment) error {
	if gone, err := b.namespaceGoing(ctx, d.Namespace); gone || err != nil {
		return err
	}
	d, err := b.ownDeployment(ctx, d.Name, d.Namespace)
	if errors.Is(err, provider.ErrNotFound) {
		return nil // its delete event follows
	}
	if err != nil {
		return err
	}
	_, err = b.client.CoreV1().Services(d.Namespace).Get(ctx, d.Name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		return apiError(err)
	}
	if err := b.ensureService(ctx, d); err != nil {
		return err
	}
	b.log.Warn("function service was missing: created again", "function", d.Name, "namespace", d.Namespace)
	return nil
}

// restoreDeployment creates the function key's Deployment, deleted by
// hand, again from its last state (its spec, labels and annotations) and
// then its Service, unless its namespace is gone or being deleted. The
// last state is used up once the Deployment exists: should its Service
// fail, the retry repairs the Service from the Deployment, and a Delete
// in between is not undone.
func (b *Cluster) restoreDeployment(ctx context.Context, key string, last *appsv1.Deployment) error {
	gone, err := b.namespaceGoing(ctx, last.Namespace)
	if err != nil {
		return err
	}
	if gone {
		b.rec.forget(key, last)
		return nil
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: last.Name, Namespace: last.Namespace, Labels: last.Labels, Annotations: last.Annotations},
		Spec:       *last.Spec.DeepCopy(),
	}
	created, err := b.client.AppsV1().Deployments(d.Namespace).Create(ctx, d, metav1.CreateOptions{FieldManager: FieldManager})
	if apierrors.IsAlreadyExists(err) {
		b.rec.forget(key, last) // deployed again meanwhile
		return nil
	}
	if err != nil {
		return apiError(err)
	}
	b.rec.forget(key, last)
	b.log.Warn("function deployment was deleted by hand: created again", "function", d.Name, "namespace", d.Namespace,
		"replicas", *created.Spec.Replicas)
	if err := b.ensureService(ctx, created); err != nil {
		return err
	}
	b.awaitCache(ctx, "deployment "+d.Namespace+"/"+d.Name, created.ResourceVersion, b.cachedDeployment(d.Namespace, d.Name))
	return nil
}

// namespaceGoing reports whether namespace ns is gone or being deleted,
// asking the API server.
func (b *Cluster) namespaceGoing(ctx context.Context, ns string) (bool, error) {
	n, err := b.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, apiError(err)
	}
	return n.DeletionTimestamp != nil, nil
}
