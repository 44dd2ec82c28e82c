"""``BackgroundTasks``: work that runs after the response is sent (FastAPI's API), or,
with ``durable=True``, is enqueued through Django's tasks framework.

```python
from django_bolt.background import BackgroundTasks

@api.post("/signup")
async def signup(user: NewUser, tasks: BackgroundTasks):
    tasks.add_task(send_welcome_email, user.email)           # after the response
    tasks.add_task(sync_crm, user.email, durable=True)       # a Django @task, enqueued
    return {"ok": True}
```
"""

from __future__ import annotations

from ._runtime.background import BackgroundTasks

__all__ = ["BackgroundTasks"]
