from openisales.client import ISalesClient


def test_add_and_query_server(isales: ISalesClient) -> None:
    added = isales.add_server("isales", "password-123", "127.0.0.1", 2222, "/home/sftp")
    assert added["resultCode"] == "0200000", added
    listed = isales.query_servers()
    assert listed["server"][0]["serverId"] == added["serverId"]
