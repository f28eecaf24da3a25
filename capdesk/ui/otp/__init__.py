"""The OTP look-up: the identifier form, the code and its countdown, and the fetch flow."""
