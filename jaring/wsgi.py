import os

from django.core.wsgi import get_wsgi_application

# Owner-only files from the first one this process writes (the settings set it again).
os.umask(0o077)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaring.settings")
application = get_wsgi_application()
