"""The twin's admin, two ways, on today's edition's models (docs/admin-contrast.md):

- documented.py: Flask-Admin exactly as its docs show a newcomer, one ModelView per model;
- hardened.py: every fix Flask-Admin or a well-kept Flask extension offers (Flask-Login,
  Flask-WTF), and by hand only what none offers.

    make flask-admin                   # the hardened one, on 127.0.0.1:5000, with a login printed
    make flask-admin ADMIN=documented
"""
