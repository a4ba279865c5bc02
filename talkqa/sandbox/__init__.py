"""The sandbox: emulated ZohoCRM, webCRM, Customerp and Sesam Talk on loopback.

Test infrastructure only. The harness (connectors, steps, the sync driver) never imports
this package; it reaches the sandbox over HTTP exactly as it reaches live tenants.
"""
