"""Who is working where: the cluster choice, sign-in, settings and the administrator PIN."""
