"""A LibreOffice conversion worker, run by Debian's Python (which has ``uno``).

Started by :class:`generator.convert.LibreOfficePool`, never imported by it. It starts its own
``soffice`` with a private profile, connects over a pipe, then reads one JSON request per line
on stdin (``{"id": "x", "in": "/path/a.docx", "out": "/path/a.pdf"}``) and answers, in order,
one JSON line on stdout (``{"id": "x", "ok": true}`` or ``{"id": "x", "ok": false, "error":
"..."}``). Requests may queue in the pipe: the next one is read as soon as one is answered.
The first line it prints is ``{"ready": true, "soffice_pid": N}``. It exits when stdin closes.

Driving LibreOffice directly (documents loaded ``Hidden``, the export filter named once) saves the
per-call overhead of unoserver's RPC hop and filter enumeration.
"""

import json
import os
import subprocess
import sys
import time


def _prop(uno, name, value):
    p = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
    p.Name = name
    p.Value = value
    return p


def _descendant(root_pid, name):
    """The pid of a descendant process called ``name`` (soffice runs soffice.bin under a
    launcher), or ``root_pid`` when there is none."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.find("(") + 1:stat.rfind(")")]
        ppid = int(stat[stat.rfind(")") + 2:].split()[1])
        children.setdefault(ppid, []).append((int(entry), comm))
    todo = [root_pid]
    while todo:
        pid = todo.pop()
        for child, comm in children.get(pid, []):
            if comm == name:
                return child
            todo.append(child)
    return root_pid


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main():
    import uno
    from com.sun.star.connection import NoConnectException

    soffice, profile, pipe_name, pdfa = sys.argv[1:5]
    proc = subprocess.Popen(
        [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
         "--nolockcheck", "--nofirststartwizard",
         f"-env:UserInstallation={profile}",
         f"--accept=pipe,name={pipe_name};urp;StarOffice.ComponentContext"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    ctx = None
    deadline = time.monotonic() + 60
    while ctx is None:
        try:
            ctx = resolver.resolve(
                f"uno:pipe,name={pipe_name};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if proc.poll() is not None or time.monotonic() > deadline:
                print(json.dumps({"ready": False, "error": "soffice did not start"}), flush=True)
                return 3
            time.sleep(0.02)  # LibreOffice takes ~1 s to listen; do not add up to 0.1 s
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    filter_data = uno.Any("[]com.sun.star.beans.PropertyValue", tuple([
        _prop(uno, "SelectPdfVersion", 2 if pdfa == "1" else 0),  # 2 = PDF/A-2b
        _prop(uno, "UseTaggedPDF", True),
        _prop(uno, "ExportFormFields", False),
        _prop(uno, "EmbedStandardFonts", True),
        # Images as they are in the DOCX: lossless (a QR code must not get JPEG artefacts)
        # and not resampled (resampling the emblem on every decree cost ~14 ms of CPU).
        _prop(uno, "UseLosslessCompression", True),
        _prop(uno, "ReduceImageResolution", False),
    ]))
    load_props = (_prop(uno, "Hidden", True), _prop(uno, "ReadOnly", True),
                  _prop(uno, "UpdateDocMode", 0))
    store_props = (_prop(uno, "FilterName", "writer_pdf_Export"),
                   _prop(uno, "FilterData", filter_data))
    office_pid = _descendant(proc.pid, "soffice.bin")
    try:
        print(json.dumps({"ready": True, "soffice_pid": office_pid}), flush=True)
        return _serve(uno, desktop, proc, office_pid, load_props, store_props)
    finally:
        # However the loop ended (stdin closed, or the caller died and a reply met a broken
        # pipe), LibreOffice ends with it: it must never outlive its driver.
        try:
            desktop.terminate()
        except Exception:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if _alive(office_pid):
            try:
                os.kill(office_pid, 9)
            except OSError:
                pass


def _serve(uno, desktop, proc, office_pid, load_props, store_props):
    """Answer requests until stdin closes; 4 when LibreOffice itself is gone."""
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        doc = None
        try:
            doc = desktop.loadComponentFromURL(
                uno.systemPathToFileUrl(req["in"]), "_blank", 0, load_props)
            if doc is None:
                raise RuntimeError("LibreOffice could not open the document")
            doc.storeToURL(uno.systemPathToFileUrl(req["out"]), store_props)
            reply = {"id": req.get("id"), "ok": True}
        except Exception as e:  # report, keep serving unless LibreOffice itself is gone
            reply = {"id": req.get("id"), "ok": False, "error": f"{type(e).__name__}: {e}"}
            if "Disposed" in type(e).__name__ or not _alive(office_pid):
                reply["fatal"] = True
                print(json.dumps(reply), flush=True)
                proc.kill()
                return 4
        finally:
            if doc is not None:
                try:
                    doc.close(True)
                except Exception:
                    pass
        print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    os.umask(0o077)
    sys.exit(main())
