"""Instrumentation for benchmarks/compile_time.py: wraps clgraph's compile phases and
pyopencl's build and launch calls (monkeypatching, inside the measuring process only)
to time them, count programs, builds and launches, and mark the phases on stderr so
PoCL's debug log (POCL_DEBUG) can be attributed to them. A name that a refactoring
removed is skipped: its time then shows up in its parent's "rest of" row."""
import contextlib
import sys
import time

__all__ = ["Probe"]


class Probe:
    def __init__(self, clgraph):
        self.clgraph = clgraph
        self.phases, self.children, self.stack = {}, {}, []
        self.counts = {"renders": 0, "build_program": 0, "programs_source": 0, "programs_binary": 0,
                       "get_binaries": 0}
        self.templates = set()  # Mako templates loaded (each is compiled once per process)
        self.launches = []  # (kernel name, global size, local size, seconds) while recording
        self._patched = []
        self._recording = True

    # -- phases -----------------------------------------------------------------------
    @contextlib.contextmanager
    def phase(self, name):
        """Time a block as `name`, nested under the phase that is open (keys are paths)."""
        parent = self.stack[-1] if self.stack else None
        key = name if parent is None else f"{parent}/{name}"
        self.phases.setdefault(key, 0.0)
        kids = self.children.setdefault(parent, [])
        if key not in kids:
            kids.append(key)
        self.stack.append(key)
        self.mark(key)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.phases[key] += time.perf_counter() - t0
            self.stack.pop()
            self.mark(self.stack[-1] if self.stack else "between phases")

    @staticmethod
    def mark(name):
        """A line in stderr that the PoCL log parser reads as 'what follows is `name`'
        (a phase path such as 'function()/Plan()/build: ...')."""
        sys.stderr.flush()
        sys.stderr.write(f"@@ {name}\n")
        sys.stderr.flush()

    def _inside(self, name):
        return any(k.rsplit("/", 1)[-1] == name for k in self.stack)

    # -- patching ---------------------------------------------------------------------
    def _patch(self, owner, attr, make):
        original = getattr(owner, attr, None) if owner is not None else None
        if original is None:
            return
        setattr(owner, attr, make(original))
        self._patched.append((owner, attr, original))

    def _timed(self, owner, attr, name, count=None, within=None):
        """Time calls of owner.attr as phase `name` (only inside phase `within` if given;
        a call made from inside the same phase is not timed again)."""
        probe = self

        def make(original):
            def wrapper(*args, **kwargs):
                if count:
                    probe.counts[count] += 1
                if not probe._recording or probe._inside(name) or (within and not probe._inside(within)):
                    return original(*args, **kwargs)
                with probe.phase(name):
                    return original(*args, **kwargs)
            return wrapper
        self._patch(owner, attr, make)

    def install(self):
        import pyopencl as cl
        from mako.lookup import TemplateLookup

        from clgraph import cache
        from clgraph.compile import function as function_mod
        from clgraph.compile import plan as plan_mod
        probe = self
        self._timed(function_mod, "rewrite", "rewrite (clgraph.rewrite)")
        plan_cls = plan_mod.Plan
        self._timed(plan_cls, "__init__", "Plan()")
        self._timed(plan_cls, "_make_steps", "steps: fusion + schedule")
        self._timed(plan_cls, "_render", "render: Mako templates -> OpenCL C")
        self._timed(TemplateLookup, "get_template", "Mako: load + compile the templates")
        self._timed(plan_cls, "_build", "build: program + cl.Kernel objects")
        self._timed(plan_mod, "build_program", "build_program", count="build_program")
        self._timed(cache, "load", "clgraph disk cache: load")
        self._timed(cache, "store", "clgraph disk cache: store")
        self._timed(plan_cls, "infer_shapes", "infer shapes", within="first call")
        self._timed(plan_cls, "enqueue", "enqueue kernels", within="first call")
        try:
            from clgraph.runtime import arrays
        except ImportError:
            arrays = None
        if arrays is not None:
            self._timed(getattr(arrays, "BufferPool", None), "upload", "upload (inputs, host values)",
                        within="first call")
            self._timed(getattr(arrays, "DeviceArray", None), "enqueue_read", "enqueue_read (outputs)",
                        within="first call")
        self._timed(cl.CommandQueue, "finish", "queue.finish (wait for the kernels)", within="first call")

        def make_get_template(original):
            def get_template(lookup, uri, *args, **kwargs):
                probe.templates.add(uri)
                return original(lookup, uri, *args, **kwargs)
            return get_template
        self._patch(TemplateLookup, "get_template", make_get_template)

        def make_render(original):
            def render(*args, **kwargs):
                probe.counts["renders"] += 1
                return original(*args, **kwargs)
            return render
        self._patch(plan_mod, "render", make_render)

        def make_build(original):
            def build(prg, *args, **kwargs):
                source = hasattr(prg, "_source")
                probe.counts["programs_source" if source else "programs_binary"] += 1
                with probe.phase("cl.Program.build from " + ("source" if source else "binary")):
                    return original(prg, *args, **kwargs)
            return build
        self._patch(cl.Program, "build", make_build)

        def make_get_info(original):
            def get_info(prg, param):
                if param != cl.program_info.BINARIES:
                    return original(prg, param)
                probe.counts["get_binaries"] += 1
                with probe.phase("get_info(BINARIES)"):
                    return original(prg, param)
            return get_info
        self._patch(cl.Program, "get_info", make_get_info)

        def make_enqueue(original):
            def enqueue_nd_range_kernel(queue, kernel, gsize, lsize, *args, **kwargs):
                if not probe._recording:
                    return original(queue, kernel, gsize, lsize, *args, **kwargs)
                t0 = time.perf_counter()
                event = original(queue, kernel, gsize, lsize, *args, **kwargs)
                probe.launches.append((kernel.function_name, tuple(gsize),
                                       None if lsize is None else tuple(lsize), time.perf_counter() - t0))
                return event
            return enqueue_nd_range_kernel
        self._patch(cl, "enqueue_nd_range_kernel", make_enqueue)

    def uninstall(self):
        self._recording = False
        for owner, attr, original in reversed(self._patched):
            setattr(owner, attr, original)
        self._patched.clear()

    # -- results ----------------------------------------------------------------------
    def report(self):
        phases = {}

        def walk(key):
            depth = key.count("/")
            name = key.rsplit("/", 1)[-1]
            phases["  " * depth + name] = self.phases[key]
            kids = self.children.get(key, [])
            for kid in kids:
                walk(kid)
            if kids:
                phases["  " * (depth + 1) + f"rest of {name}"] = \
                    self.phases[key] - sum(self.phases[k] for k in kids)
        for top in self.children.get(None, []):
            walk(top)
        local_sizes = sorted({str(l) if l is not None else "None (PoCL picks)" for _, _, l, _ in self.launches})
        counts = dict(self.counts, launches=len(self.launches), templates=sorted(self.templates),
                      launched_kernels=len({n for n, _, _, _ in self.launches}), local_sizes=local_sizes,
                      global_sizes=sorted({str(g) for _, g, _, _ in self.launches}),
                      kernel_local_pairs=len({(n, l) for n, _, l, _ in self.launches}))
        return {"phases": phases, "counts": counts,
                "launch_list": [(n, list(g), l and list(l), t) for n, g, l, t in self.launches]}
