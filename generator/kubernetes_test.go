package generator_test

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/wixgen/wixgen/generator"
)

// TestKubernetesManifests renders deploy/kubernetes for every router and
// store, decodes every manifest strictly (an unknown or misspelt field
// fails) into the Kubernetes API types, builds the kustomization as
// `kubectl apply -k` does, and checks the result against the server it
// runs, as rendered beside it: the port, the probes' routes, the variables
// the configuration reads and the secrets it needs, and the stop sequence's
// timing. No cluster runs the manifests here.
func TestKubernetesManifests(t *testing.T) {
	g := newGenerator(t)
	var cases []generator.Answers
	for _, router := range []string{"stdlib", "chi", "gin", "echo"} {
		for _, store := range []string{"sqlite", "postgres", "memory"} {
			cases = append(cases, allOn(router, store, "both"))
		}
	}
	for _, store := range []string{"sqlite", "postgres", "memory"} {
		a := allOff("stdlib", store, "instance") // no webhooks, no app ID, no Dockerfile
		a.Kubernetes = true
		cases = append(cases, a)
	}
	for _, a := range cases {
		name := fmt.Sprintf("%s-%s-webhooks=%v-appid=%v", a.Router, a.Store, a.Webhooks, a.AppID != "")
		t.Run(name, func(t *testing.T) {
			p, err := g.Render(a)
			if err != nil {
				t.Fatal(err)
			}
			files := make(map[string][]byte)
			for _, f := range p.Files {
				files[f.Path] = f.Data
			}
			checkKubernetes(t, a, files)
		})
	}
}

func TestNoKubernetesManifestsWhenOff(t *testing.T) {
	p, err := newGenerator(t).Render(generator.DefaultAnswers("shop"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Files {
		if strings.HasPrefix(f.Path, "deploy/") {
			t.Errorf("%s rendered with kubernetes off (its default)", f.Path)
		}
	}
}

const kubeDir = "deploy/kubernetes"

// kubeObjects are the decoded manifests of one project.
type kubeObjects struct {
	deployment *appsv1.Deployment
	service    *corev1.Service
	hpa        *autoscalingv2.HorizontalPodAutoscaler
	pdb        *policyv1.PodDisruptionBudget
	pvc        *corev1.PersistentVolumeClaim
	secret     *corev1.Secret
}

// unmarshalStrict decodes YAML as the API server's strict field validation
// does: a duplicate field, or one the type does not have (its name spelt
// in another case included), is an error.
func unmarshalStrict(doc []byte, into any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, into, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	return errors.Join(append(strict, err)...)
}

// decodeStrict decodes one YAML document into the type of its kind,
// strictly, and stores it in objs.
func decodeStrict(objs *kubeObjects, doc []byte) (string, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return "", err
	}
	var into any
	switch gk := head.APIVersion + " " + head.Kind; gk {
	case "apps/v1 Deployment":
		objs.deployment = new(appsv1.Deployment)
		into = objs.deployment
	case "v1 Service":
		objs.service = new(corev1.Service)
		into = objs.service
	case "autoscaling/v2 HorizontalPodAutoscaler":
		objs.hpa = new(autoscalingv2.HorizontalPodAutoscaler)
		into = objs.hpa
	case "policy/v1 PodDisruptionBudget":
		objs.pdb = new(policyv1.PodDisruptionBudget)
		into = objs.pdb
	case "v1 PersistentVolumeClaim":
		objs.pvc = new(corev1.PersistentVolumeClaim)
		into = objs.pvc
	case "v1 Secret":
		objs.secret = new(corev1.Secret)
		into = objs.secret
	default:
		return "", fmt.Errorf("unexpected kind %q", gk)
	}
	if err := unmarshalStrict(doc, into); err != nil {
		return "", fmt.Errorf("%s: %w", head.Kind, err)
	}
	return head.Kind, nil
}

// serverFacts is what the rendered server says about itself.
type serverFacts struct {
	vars          map[string]string // every variable config.Load reads, with its default
	required      []string          // those required that have no default
	routes        string            // routes.go
	shutdownDelay time.Duration     // SHUTDOWN_DELAY's default
	drain         time.Duration     // cmd/server's shutdownTimeout
}

var (
	configVarRE = regexp.MustCompile(`\{name: "([A-Z_]+)"(?:, def: "([^"]*)")?(, required: true)?`)
	drainRE     = regexp.MustCompile(`shutdownTimeout\s*=\s*(\d+) \* time\.Second`)
)

func readServer(t *testing.T, files map[string][]byte) serverFacts {
	t.Helper()
	f := serverFacts{vars: make(map[string]string), routes: string(files["internal/api/routes.go"])}
	for _, m := range configVarRE.FindAllStringSubmatch(string(files["internal/config/config.go"]), -1) {
		f.vars[m[1]] = m[2]
		if m[3] != "" && m[2] == "" {
			f.required = append(f.required, m[1])
		}
	}
	if len(f.vars) < 5 || f.vars["PORT"] == "" {
		t.Fatalf("read %d variables from config.go, PORT default %q: the pattern no longer matches its table", len(f.vars), f.vars["PORT"])
	}
	var err error
	if f.shutdownDelay, err = time.ParseDuration(f.vars["SHUTDOWN_DELAY"]); err != nil {
		t.Fatalf("SHUTDOWN_DELAY default: %v", err)
	}
	m := drainRE.FindStringSubmatch(string(files["cmd/server/main.go"]))
	if m == nil {
		t.Fatal("no shutdownTimeout in cmd/server/main.go")
	}
	secs, _ := strconv.Atoi(m[1])
	f.drain = time.Duration(secs) * time.Second
	return f
}

// serves reports whether routes.go registers GET path, in any router's way.
func (f serverFacts) serves(path string) bool {
	return regexp.MustCompile(`"(GET )?` + regexp.QuoteMeta(path) + `"`).MatchString(f.routes)
}

func checkKubernetes(t *testing.T, a generator.Answers, files map[string][]byte) {
	srv := readServer(t, files)

	// Every file decodes strictly; the kustomization lists every manifest
	// but the Secret example.
	var listed, manifests []string
	var kust kustypes.Kustomization
	raw := new(kubeObjects)
	fs := filesys.MakeFsInMemory()
	for p, data := range files {
		if !strings.HasPrefix(p, kubeDir+"/") {
			continue
		}
		if err := fs.WriteFile(p, data); err != nil {
			t.Fatal(err)
		}
		switch base := path.Base(p); base {
		case "kustomization.yaml":
			if err := unmarshalStrict(data, &kust); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			listed = kust.Resources
		case "secret.example.yaml":
			if _, err := decodeStrict(raw, data); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		default:
			if _, err := decodeStrict(raw, data); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			manifests = append(manifests, base)
		}
	}
	sort.Strings(listed)
	sort.Strings(manifests)
	if !slices.Equal(listed, manifests) {
		t.Errorf("kustomization.yaml lists %v, want every manifest but the Secret example: %v", listed, manifests)
	}
	if raw.secret == nil {
		t.Fatal("no secret.example.yaml")
	}
	for k, v := range raw.secret.StringData {
		if v != "" {
			t.Errorf("secret.example.yaml holds a value for %s: %q", k, v)
		}
	}

	// What `kubectl apply -k` applies, decoded strictly again.
	built, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, kubeDir)
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	out, err := built.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	objs := new(kubeObjects)
	var kinds []string
	for doc := range bytes.SplitSeq(out, []byte("\n---\n")) {
		kind, err := decodeStrict(objs, doc)
		if err != nil {
			t.Fatalf("kustomize build output: %v", err)
		}
		kinds = append(kinds, kind)
	}
	if objs.secret != nil {
		t.Error("kustomize build applies the Secret example")
	}

	d := objs.deployment
	if d == nil || objs.service == nil {
		t.Fatalf("kustomize build made %v, want a Deployment and a Service", kinds)
	}
	if d.Name != a.Name {
		t.Errorf("Deployment %q, want the project's name %q", d.Name, a.Name)
	}
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if want := "registry.example.com/" + a.Name + ":latest"; c.Image != want {
		t.Errorf("image %q after kustomize, want %q (kustomization.yaml images)", c.Image, want)
	}

	// Labels and selectors agree.
	podLabels := d.Spec.Template.Labels
	matches := func(what string, sel map[string]string) {
		if len(sel) == 0 {
			t.Errorf("%s selects nothing", what)
		}
		for k, v := range sel {
			if podLabels[k] != v {
				t.Errorf("%s selects %s=%s, which the pods do not carry (%v)", what, k, v, podLabels)
			}
		}
	}
	matches("the Deployment", d.Spec.Selector.MatchLabels)
	matches("the Service", objs.service.Spec.Selector)

	// The port: the one the server listens on, named for the probes and
	// the Service.
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" {
		t.Fatalf("container ports %v, want one named http", c.Ports)
	}
	port := c.Ports[0].ContainerPort
	env := make(map[string]corev1.EnvVar)
	for _, e := range c.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("env %s given twice", e.Name)
		}
		env[e.Name] = e
	}
	listen := srv.vars["PORT"]
	if e, ok := env["PORT"]; ok {
		listen = e.Value
	}
	if listen != strconv.Itoa(int(port)) {
		t.Errorf("the server listens on %s, the container port is %d", listen, port)
	}
	if docker, ok := files["Dockerfile"]; ok && !bytes.Contains(docker, []byte(fmt.Sprintf("EXPOSE %d\n", port))) {
		t.Errorf("the Dockerfile does not expose %d", port)
	}
	namedPort := func(what string, p intstr.IntOrString) {
		if p != intstr.FromString("http") && p != intstr.FromInt32(port) {
			t.Errorf("%s port %v is not the container's", what, p.String())
		}
	}
	for _, sp := range objs.service.Spec.Ports {
		namedPort("Service", sp.TargetPort)
	}

	// The probes ask the routes the server serves.
	probes := []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"startup", c.StartupProbe, "/healthz"},
		{"liveness", c.LivenessProbe, "/healthz"},
		{"readiness", c.ReadinessProbe, "/readyz"},
	}
	for _, pr := range probes {
		switch {
		case pr.probe == nil || pr.probe.HTTPGet == nil:
			t.Errorf("no HTTP %s probe", pr.name)
		case pr.probe.HTTPGet.Path != pr.path:
			t.Errorf("%s probe asks %s, want %s", pr.name, pr.probe.HTTPGet.Path, pr.path)
		case !srv.serves(pr.path):
			t.Errorf("%s probe asks %s, which routes.go does not serve", pr.name, pr.path)
		default:
			namedPort(pr.name+" probe", pr.probe.HTTPGet.Port)
		}
	}

	// Every variable is one the server reads; every one it requires
	// without a default is given; secrets come from the Secret example's
	// keys.
	secretKeys := raw.secret.StringData
	for name, e := range env {
		if _, ok := srv.vars[name]; !ok {
			t.Errorf("env %s: the server reads no such variable", name)
		}
		if ref := e.ValueFrom; ref != nil {
			if ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != raw.secret.Name {
				t.Errorf("env %s: not from the Secret %q", name, raw.secret.Name)
			} else if _, ok := secretKeys[ref.SecretKeyRef.Key]; !ok {
				t.Errorf("env %s: key %q is not in secret.example.yaml", name, ref.SecretKeyRef.Key)
			}
		}
	}
	for _, name := range srv.required {
		if _, ok := env[name]; !ok {
			t.Errorf("the server requires %s, which the Deployment does not set", name)
		}
	}
	for _, secret := range []string{"WIX_APP_SECRET", "WIX_PUBLIC_KEY"} {
		if _, read := srv.vars[secret]; read && (env[secret].ValueFrom == nil || env[secret].ValueFrom.SecretKeyRef == nil) {
			t.Errorf("%s is not read from the Secret", secret)
		}
	}

	// The stop: the pod is unready and out of the load balancers before
	// the server stops taking requests, and the grace period outlasts the
	// whole sequence.
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds <= 0 {
		t.Fatal("no preStop sleep")
	}
	delay := srv.shutdownDelay
	if e, ok := env["SHUTDOWN_DELAY"]; ok {
		if delay, err = time.ParseDuration(e.Value); err != nil {
			t.Errorf("SHUTDOWN_DELAY %q: %v", e.Value, err)
		}
	}
	stop := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds)*time.Second + delay + srv.drain
	if pod.TerminationGracePeriodSeconds == nil || time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second < stop {
		t.Errorf("terminationGracePeriodSeconds %v, shorter than preStop + SHUTDOWN_DELAY + the server's drain = %v", pod.TerminationGracePeriodSeconds, stop)
	}

	// Non-root, read-only root file system, /tmp writable, resources bounded.
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("pod security context %+v: want runAsNonRoot and a non-zero runAsUser", sc)
	}
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("container security context %+v: want a read-only root, no privilege escalation, all capabilities dropped", sc)
	}
	volumes := make(map[string]corev1.Volume)
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	mounts := make(map[string]corev1.Volume) // by mount path
	for _, m := range c.VolumeMounts {
		v, ok := volumes[m.Name]
		if !ok {
			t.Errorf("mount %s: no volume %q", m.MountPath, m.Name)
		}
		mounts[m.MountPath] = v
	}
	if mounts["/tmp"].EmptyDir == nil {
		t.Error("/tmp is not a writable emptyDir")
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := c.Resources.Requests[res], c.Resources.Limits[res]
		if req.IsZero() || lim.IsZero() || req.Cmp(lim) > 0 {
			t.Errorf("%s: request %v, limit %v; want both, the request no more than the limit", res, &req, &lim)
		}
	}

	// By store.
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	switch a.Store {
	case "postgres":
		if objs.hpa == nil || objs.pdb == nil {
			t.Fatalf("kustomize build made %v, want an autoscaler and a disruption budget", kinds)
		}
		if d.Spec.Replicas != nil {
			t.Error("the Deployment sets replicas, which the autoscaler owns")
		}
		if ref := objs.hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
			t.Errorf("the autoscaler scales %+v, not the Deployment", ref)
		}
		if objs.hpa.Spec.MinReplicas == nil || *objs.hpa.Spec.MinReplicas < 2 {
			t.Error("the autoscaler allows fewer than two replicas")
		}
		matches("the disruption budget", objs.pdb.Spec.Selector.MatchLabels)
		if ru := d.Spec.Strategy.RollingUpdate; d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || ru == nil || ru.MaxUnavailable.IntValue() != 0 {
			t.Errorf("strategy %+v: want a rolling update that keeps every replica until its successor is ready", d.Spec.Strategy)
		}
		if e := env["DATABASE_URL"]; e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Error("DATABASE_URL is not read from the Secret")
		}
	case "sqlite":
		if replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType || objs.hpa != nil || objs.pdb != nil {
			t.Errorf("replicas %d, strategy %s, autoscaler %v, disruption budget %v: want one replica, Recreate, neither", replicas, d.Spec.Strategy.Type, objs.hpa != nil, objs.pdb != nil)
		}
		if objs.pvc == nil {
			t.Fatal("no PersistentVolumeClaim")
		}
		dbFile := env["DATABASE_URL"].Value
		v, ok := mounts[path.Dir(dbFile)]
		if !ok || v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != objs.pvc.Name {
			t.Errorf("DATABASE_URL %q is not on the claim %q", dbFile, objs.pvc.Name)
		}
		if pod.SecurityContext.FSGroup == nil || *pod.SecurityContext.FSGroup != *pod.SecurityContext.RunAsUser {
			t.Error("the volume is not made writable for the server's user (fsGroup)")
		}
	case "memory":
		if replicas != 1 || objs.hpa != nil || objs.pdb != nil || objs.pvc != nil {
			t.Errorf("replicas %d, autoscaler %v, disruption budget %v, claim %v: want one replica and none of them", replicas, objs.hpa != nil, objs.pdb != nil, objs.pvc != nil)
		}
	}
}
