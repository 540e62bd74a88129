"""`python -m clgraph.info`: the OpenCL platforms and devices, and the one clgraph uses."""
import sys


def main():
    import clgraph
    from clgraph.errors import DeviceError
    print(f"clgraph {clgraph.__version__}")
    try:
        listing = clgraph.devices()
        dev = clgraph.device()
    except DeviceError as exc:
        print(f"error: {exc}")
        return 1
    print(f"{'index':6} {'type':5} {'fp64':5} {'fp16':5} {'memory':>10}  name (platform, driver)")
    for d in listing:
        mem = f"{d['global_mem_bytes'] / 2**30:.1f} GiB"
        print(f"{d['index']:6} {d['type']:5} {'yes' if d['fp64'] else 'no':5} {'yes' if d['fp16'] else 'no':5} "
              f"{mem:>10}  {d['name']} ({d['platform']}, {d['version']}, driver {d['driver']})")
    spec = clgraph.config.device or "(default: first GPU, else CPU)"
    print(f"in use: {dev.platform_index}:{dev.device_index} {dev.name}  [CLGRAPH_DEVICE={spec}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
