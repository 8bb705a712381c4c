"""sftp"""
