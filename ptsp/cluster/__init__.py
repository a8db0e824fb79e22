"""Distributed mode: rendering and conversion fanned out to Celery workers.

The process that holds the unlocked key (``ptsp issue --broker URL``) reserves numbers, sends
one conversion task per decree and signs and records what comes back; workers (``ptsp worker
--broker URL``) render the DOCX from the application and the office's context, convert it in
their own warm LibreOffice and return the PDF. No key, passphrase or PIN goes through the
broker: a task carries an application, a decree number, a verification link and the office's
letterhead, nothing a worker could sign with.

    settings   where the broker is ([cluster] in the profile, PTSP_BROKER, --broker)
    app        the Celery application and its delivery settings
    jobs       what a task carries and the digests that tie it to a template version
    worker     the worker side: templates by digest, one LibreOffice per child
    stage      the submitting side: tasks out, PDFs back, into the ordinary pipeline
"""

from .errors import ClusterError

__all__ = ["ClusterError"]
